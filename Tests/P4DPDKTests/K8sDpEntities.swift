import Foundation
import P4Info
import P4RuntimeAPI
import P4RuntimeClient

/// k8s_dp objects the DPDK tests write, built by name from the P4Info.
struct K8sDpEntities {
    static let gatewayMAC: Frames.MAC = [0x02, 0, 0, 0, 0, 0xfe]

    let p4info: P4InfoIndex

    /// The route to a pod: `to_pod(port, pod MAC, gateway MAC)`.
    func route(_ address: String, port: UInt64, mac: Frames.MAC) throws -> P4_V1_TableEntry {
        try p4info.tableEntry(
            "ipv4_to_port", match: [.exact("hdr.ipv4.dst_addr", P4Value(bytes: Frames.ipv4(address)))], action: "to_pod",
            params: ["port": P4Value(port), "pod_mac": P4Value(bytes: mac), "gateway_mac": P4Value(bytes: Self.gatewayMAC)]
        )
    }

    /// Member `id` of `service_backends`: it picks slot `id - 1` (k8s_dp's slot members).
    func slotMember(_ id: UInt32) throws -> P4_V1_ActionProfileMember {
        try p4info.actionProfileMember("service_backends", memberID: id, action: "pick_slot", params: ["slot": P4Value(UInt64(id) - 1)])
    }

    func group(_ groupID: UInt32, members: [UInt32]) throws -> P4_V1_ActionProfileGroup {
        let profile = try p4info.actionProfile("service_backends")
        return .with { group in
            group.actionProfileID = profile.id
            group.groupID = groupID
            group.members = members.map { id in .with { $0.memberID = id; $0.weight = 1 } }
        }
    }

    /// `service_select`: service index `service` uses selector group `groupID`. A table with
    /// an action selector takes a group, which the name-based builder does not cover.
    func select(service: UInt64, groupID: UInt32) throws -> P4_V1_TableEntry {
        let table = try p4info.table("service_select")
        let field = try table.matchField("meta.service_index")
        let value = try P4Value(service).encoded(bitwidth: Int(field.bitwidth))
        return .with {
            $0.tableID = table.id
            $0.match = [.with { match in
                match.fieldID = field.id
                match.exact = .with { $0.value = value }
            }]
            $0.action = .with { $0.actionProfileGroupID = groupID }
        }
    }

    /// `service_slots`: slot `slot` of service index `service` DNATs to `backend`:8080.
    func slot(service: UInt64, _ slot: UInt64, backend: String) throws -> P4_V1_TableEntry {
        try p4info.tableEntry(
            "service_slots", match: [.exact("meta.service_index", P4Value(service)), .exact("meta.lb_slot", P4Value(slot))],
            action: "dnat_to_backend", params: ["backend_ip": P4Value(bytes: Frames.ipv4(backend)), "backend_port": 8080]
        )
    }

    /// `service_lb`: UDP to `address`:`port` is service index `service` (timeout profile 1).
    func frontend(_ address: String, port: UInt64, service: UInt64) throws -> P4_V1_TableEntry {
        try p4info.tableEntry(
            "service_lb", match: [
                .exact("hdr.ipv4.dst_addr", P4Value(bytes: Frames.ipv4(address))), .exact("hdr.ipv4.protocol", 17), .exact("meta.l4_dst_port", P4Value(port)),
            ], action: "to_service", params: ["service_index": P4Value(service), "timeout_profile": 1]
        )
    }

    /// A UDP service with one backend, in dependency order for one Write: the slot member,
    /// the slot, the group listing it, the index's select entry and the frontend.
    func service(_ address: String, port: UInt64, index: UInt64, groupID: UInt32, backend: String, memberID: UInt32 = 1) throws -> [P4_V1_Update] {
        [
            .insert(P4_V1_Entity(try slotMember(memberID))),
            .insert(P4_V1_Entity(try slot(service: index, UInt64(memberID) - 1, backend: backend))),
            .insert(P4_V1_Entity(try group(groupID, members: [memberID]))),
            .insert(P4_V1_Entity(try select(service: index, groupID: groupID))),
            .insert(P4_V1_Entity(try frontend(address, port: port, service: index))),
        ]
    }

    /// An egress ACL rule allowing destination ports `ports` for ACL id 1 (a wildcard table in
    /// DPDK; the range becomes several DPDK entries).
    func aclRule(_ ports: ClosedRange<UInt64>, priority: Int32) throws -> P4_V1_TableEntry {
        try p4info.tableEntry(
            "acl_egress_rules", match: [.exact("meta.acl_id", 1), .range("meta.l4_dst_port", low: P4Value(ports.lowerBound), high: P4Value(ports.upperBound))],
            action: "acl_allow", priority: priority
        )
    }
}
