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

    /// A `service_backends` member DNATing to `backend`:8080 for service index `service`.
    func backend(_ memberID: UInt32, _ backend: String, service: UInt64) throws -> P4_V1_ActionProfileMember {
        try p4info.actionProfileMember(
            "service_backends", memberID: memberID, action: "dnat_to_backend",
            params: ["backend_ip": P4Value(bytes: Frames.ipv4(backend)), "backend_port": 8080, "service_index": P4Value(service), "timeout_profile": 1]
        )
    }

    func group(_ groupID: UInt32, members: [UInt32]) throws -> P4_V1_ActionProfileGroup {
        let profile = try p4info.actionProfile("service_backends")
        return .with { group in
            group.actionProfileID = profile.id
            group.groupID = groupID
            group.members = members.map { id in .with { $0.memberID = id; $0.weight = 1 } }
        }
    }

    /// `service_lb`: UDP to `address`:`port` goes to selector group `groupID`. A table with an
    /// action selector takes a group, which the name-based builder does not cover.
    func service(_ address: String, port: UInt8, groupID: UInt32) throws -> P4_V1_TableEntry {
        let table = try p4info.table("service_lb")
        return .with {
            $0.tableID = table.id
            $0.match = [("hdr.ipv4.dst_addr", Data(Frames.ipv4(address))), ("hdr.ipv4.protocol", Data([17])), ("meta.l4_dst_port", Data([port]))].map { name, value in
                P4_V1_FieldMatch.with { match in
                    match.fieldID = table.matchFields.first { $0.name == name }!.id
                    match.exact = .with { $0.value = value }
                }
            }
            $0.action = .with { $0.actionProfileGroupID = groupID }
        }
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
