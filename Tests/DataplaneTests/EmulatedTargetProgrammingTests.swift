import Foundation
import GRPCNIOTransportHTTP2Posix
@testable import InfraManagerCore
import InfraNet
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// Every intent kind programmed through the store into the emulated target (the product's
/// P4RuntimeCore over loopback), then read back by an independent client and compared entry by
/// entry with entries built by name from the committed P4Info.
final class EmulatedTargetProgrammingTests: XCTestCase {
    typealias Client = P4RuntimeClient<HTTP2ClientTransport.Posix>

    /// Runs `body` with a store whose programmer writes into a fresh emulator.
    func withProgrammedEmulator(_ body: @Sendable (DesiredStateStore, EmulatorServer, P4InfoIndex) async throws -> Void) async throws {
        let emulator = EmulatorServer()
        try await emulator.start()
        let info = try DataplaneFixture.index()
        let programmer = try DataplaneFixture.programmer()
        let store = DesiredStateStore(dataplane: programmer)
        let transport = try P4RuntimeTransport.make(address: emulator.address, tls: nil, logger: DataplaneFixture.logger)
        do {
            try await P4RuntimeClient.run(transport: transport, configuration: .init(electionID: ElectionID(low: 100)), p4info: info, logger: DataplaneFixture.logger) { client in
                try await client.waitUntilPrimary()
                try await client.setForwardingPipelineConfig(info)
                try await programmer.targetReady(P4RuntimeDataplaneTarget(client: client))
                try await body(store, emulator, info)
            }
        } catch {
            await emulator.stop()
            throw error
        }
        await emulator.stop()
    }

    func testDefaultsGatewayAndHostAddresses() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            _ = try await store.apply { state in
                state.hostInterface = DataplaneFixture.host(["192.168.10.5/24", "fd00::5/64"])
                return ((), true)
            }
            try await emulator.withReader { reader in
                let arp = try await reader.readTableEntries("arp_to_port")
                XCTAssertEqual(Set(arp), [
                    try info.tableEntry("arp_to_port", match: [.exact("hdr.arp.tpa", P4Value(bytes: [169, 254, 1, 1]))], action: "arp_forward", params: ["port": 1]),
                ])
                let ipv4 = try await reader.readTableEntries("ipv4_to_port")
                XCTAssertEqual(Set(ipv4), [
                    try info.tableEntry("ipv4_to_port", match: [.exact("hdr.ipv4.dst_addr", P4Value(bytes: [192, 168, 10, 5]))],
                                        action: "to_host", params: ["port": 0, "host_mac": P4Value(bytes: [0x52, 0x54, 0, 0x12, 0x34, 0x56])]),
                ], "the IPv6 node address is skipped: k8s_dp forwards IPv4 only")
                let defaults = try await reader.read([
                    P4_V1_Entity(P4_V1_TableEntry.with { $0.tableID = try! info.table("ipv4_to_port").id; $0.isDefaultAction = true }),
                ])
                XCTAssertEqual(defaults.first?.tableEntry.action.action,
                               try info.action("to_host", params: ["port": 0, "host_mac": P4Value(bytes: [0x52, 0x54, 0, 0x12, 0x34, 0x56])]))
            }
        }
    }

    func testPodGetsARPAndForwardingEntriesAndDeleteRemovesThem() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let pod = DataplaneFixture.pod("c1", port: "pod1", ip: "10.244.1.7", mac: "0a:58:0a:f4:01:07")
            _ = try await store.apply { state in (state.pods.upsert(pod, for: pod.key), true) }
            try await emulator.withReader { reader in
                let forward = try await reader.readTableEntries("ipv4_to_port")
                XCTAssertTrue(forward.contains(try info.tableEntry(
                    "ipv4_to_port", match: [.exact("hdr.ipv4.dst_addr", P4Value(bytes: [10, 244, 1, 7]))], action: "to_pod",
                    params: ["port": 3, "pod_mac": P4Value(bytes: [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x07]), "gateway_mac": P4Value(bytes: DataplaneFixture.gatewayMAC.bytes)]
                )), "\(forward)")
                let arp = try await reader.readTableEntries("arp_to_port")
                XCTAssertTrue(arp.contains(try info.tableEntry("arp_to_port", match: [.exact("hdr.arp.tpa", P4Value(bytes: [10, 244, 1, 7]))], action: "arp_forward", params: ["port": 3])))
            }
            _ = try await store.apply { state in (state.pods.remove(pod.key), true) }
            try await emulator.withReader { reader in
                let forward = try await reader.readTableEntries("ipv4_to_port")
                XCTAssertTrue(forward.isEmpty, "\(forward)")
                let arp = try await reader.readTableEntries("arp_to_port")
                XCTAssertEqual(arp.count, 1, "only the gateway entry is left")
            }
        }
    }

    /// The backends behind a service index, read from `service_slots`: slot -> (address, port).
    static func slots(_ reader: Client, _ info: P4InfoIndex, index: Data) async throws -> [UInt64: (Data, Data)] {
        let indexField = try info.table("service_slots").matchField("meta.service_index").id
        let slotField = try info.table("service_slots").matchField("meta.lb_slot").id
        var slots: [UInt64: (Data, Data)] = [:]
        for entry in try await reader.readTableEntries("service_slots") where entry.match.contains(where: { $0.fieldID == indexField && $0.exact.value == index }) {
            let slot = try XCTUnwrap(entry.match.first { $0.fieldID == slotField }?.exact.value)
            slots[slot.reduce(0) { $0 << 8 | UInt64($1) }] = (entry.action.action.params[0].value, entry.action.action.params[1].value)
        }
        return slots
    }

    func testServiceFrontendsGroupAndSlots() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let service = DataplaneFixture.service(
                "web", clusterIP: "10.96.0.10", port: 80, nodePort: 30080, backends: [("10.244.2.9", 8080), ("10.244.1.7", 8080)],
                externalIPs: ["203.0.113.7"], loadBalancerIPs: ["198.51.100.4"]
            )
            _ = try await store.apply { state in
                state.hostInterface = DataplaneFixture.host(["192.168.10.5/24"])
                _ = state.services.upsert(service, for: service.name)
                return ((), true)
            }
            try await emulator.withReader { reader in
                // Frontends name the service index; every one the same.
                let entries = try await reader.readTableEntries("service_lb")
                let frontends: [([UInt8], UInt16)] = [([10, 96, 0, 10], 80), ([203, 0, 113, 7], 80), ([198, 51, 100, 4], 80), ([192, 168, 10, 5], 30080)]
                XCTAssertEqual(Set(entries.map(\.match)), Set(try frontends.map { ip, port in
                    try info.tableEntry("service_lb", match: [
                        .exact("hdr.ipv4.dst_addr", P4Value(bytes: ip)), .exact("hdr.ipv4.protocol", 6), .exact("meta.l4_dst_port", P4Value(UInt(port))),
                    ], action: "drop_no_endpoints", params: ["service_index": 1]).match
                }), "cluster IP, external IP, load-balancer IP and node port")
                let index = try XCTUnwrap(entries.first?.action.action.params.first?.value)
                let expected = try info.action("to_service", params: [
                    "service_index": P4Value(bytes: index), "timeout_profile": P4Value(UInt(DataplaneFixture.settings.connectionTimeoutProfile)),
                ])
                XCTAssertTrue(entries.allSatisfy { $0.action.action == expected }, "\(entries)")

                // The index selects a group of two slots, and the slots hold the backends in address order.
                let select = try await reader.readTableEntries("service_select")
                XCTAssertEqual(select.count, 1)
                XCTAssertEqual(select.first?.match.first?.exact.value, index)
                let groups = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = try! info.actionProfile("service_backends").id })])
                    .map(\.actionProfileGroup)
                XCTAssertEqual(groups.count, 1)
                XCTAssertEqual(select.first?.action.actionProfileGroupID, groups.first?.groupID)
                XCTAssertEqual(groups.first?.members.map(\.memberID), [1, 2])
                let slots = try await Self.slots(reader, info, index: index)
                XCTAssertEqual(slots.keys.sorted(), [0, 1])
                XCTAssertEqual(slots[0]?.0, Data([10, 244, 1, 7]))
                XCTAssertEqual(slots[1]?.0, Data([10, 244, 2, 9]))
                XCTAssertEqual(slots[0]?.1, EntityBuilding.canonical(8080))

                // Member k + 1 picks slot k, in both selectors, for every service.
                for profile in ["service_backends", "service_backends_affinity"] {
                    let members = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = try! info.actionProfile(profile).id })])
                        .map(\.actionProfileMember)
                    XCTAssertEqual(members.count, K8sDpSchema.maxSlots, profile)
                    let pick = try info.action("pick_slot", params: ["slot": 4])
                    XCTAssertEqual(members.first { $0.memberID == 5 }?.action, pick, profile)
                }
            }
        }
    }

    func testEmptyServiceDropsAndAffinityUsesItsOwnSelector() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let empty = DataplaneFixture.service("empty", clusterIP: "10.96.0.20", transport: .udp, backends: [])
            let sticky = DataplaneFixture.service("sticky", clusterIP: "10.96.0.30", transport: .sctp, backends: [("10.244.1.8", 9000)], affinity: .clientIP(timeoutSeconds: 10800))
            _ = try await store.apply { state in
                state.put(empty)
                state.put(sticky)
                return ((), true)
            }
            try await emulator.withReader { reader in
                let frontends = try await reader.readTableEntries("service_lb")
                XCTAssertEqual(frontends.count, 2)
                let udp = try XCTUnwrap(frontends.first { $0.match.contains { $0.exact.value == EntityBuilding.canonical(17) } })
                XCTAssertEqual(udp.action.action.actionID, try info.action("drop_no_endpoints").id, "no endpoints: the frontend drops and counts")
                let sctp = try XCTUnwrap(frontends.first { $0.match.contains { $0.exact.value == EntityBuilding.canonical(132) } })
                let index = try XCTUnwrap(sctp.action.action.params.first?.value)
                XCTAssertEqual(sctp.action.action, try info.action("to_service_affinity", params: [
                    "service_index": P4Value(bytes: index), "timeout_profile": P4Value(UInt(DataplaneFixture.settings.timeoutProfile(atLeast: 10800))),
                ]))

                let plainSelect = try await reader.readTableEntries("service_select")
                XCTAssertTrue(plainSelect.isEmpty, "the empty service has no group")
                let sticky = try await reader.readTableEntries("service_select_affinity")
                XCTAssertEqual(sticky.map { $0.match.first?.exact.value }, [index])
                let groups = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = try! info.actionProfile("service_backends_affinity").id })])
                XCTAssertEqual(groups.map { $0.actionProfileGroup.members.map(\.memberID) }, [[1]])
                let slots = try await Self.slots(reader, info, index: index)
                XCTAssertEqual(slots.count, 1)
                XCTAssertEqual(slots[0]?.0, Data([10, 244, 1, 8]))
            }
        }
    }

    func testPoliciesBecomeEndpointSelectorsAndPrioritizedRules() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let policy = PolicyIntent(id: "default.allow-web", ingress: [
                RuleIntent(action: .allow, peers: [CIDR("10.244.0.0/16")!], transport: .tcp, ports: [80...80, 8000...8080], icmp: nil),
                RuleIntent(action: .deny, peers: [], transport: .icmp, ports: [], icmp: ICMPMatchIntent(type: 8, code: 0)),
            ], egress: [])
            let endpoint = EndpointIntent(id: "wep-1", pod: nil, addresses: [IPAddress("10.244.1.7")!], ingressPolicies: [policy.id], egressPolicies: [])
            _ = try await store.apply { state in
                state.put(policy)
                state.put(endpoint)
                return ((), true)
            }
            try await emulator.withReader { reader in
                let selectors = try await reader.readTableEntries("acl_ingress_endpoint")
                XCTAssertEqual(selectors.count, 1)
                let aclID = try XCTUnwrap(selectors.first?.action.action.params.first?.value)
                XCTAssertEqual(selectors.first?.match.first?.exact.value, Data([10, 244, 1, 7]))
                let egress = try await reader.readTableEntries("acl_egress_endpoint")
                XCTAssertEqual(egress.count, 1, "selected on egress too, so acl_flows tracks its flows")
                let egressACL = try XCTUnwrap(egress.first?.action.action.params.first?.value)
                XCTAssertNotEqual(egressACL, aclID)
                let egressRules = try await reader.readTableEntries("acl_egress_rules")
                XCTAssertEqual(egressRules, [try info.tableEntry(
                    "acl_egress_rules", match: [.exact("meta.acl_id", P4Value(bytes: egressACL))], action: "acl_allow",
                    priority: K8sDpTranslator.firstRulePriority
                )], "no egress policy: one allow-all rule")

                let rules = try await reader.readTableEntries("acl_ingress_rules")
                let first = K8sDpTranslator.firstRulePriority
                let acl = P4Value(bytes: aclID)
                let expected = [
                    try info.tableEntry("acl_ingress_rules", match: [
                        .exact("meta.acl_id", acl), .ternary("hdr.ipv4.src_addr", P4Value(bytes: [10, 244, 0, 0]), mask: P4Value(bytes: [255, 255, 0, 0])),
                        .ternary("hdr.ipv4.protocol", 6, mask: 0xff), .range("meta.l4_dst_port", low: 80, high: 80),
                    ], action: "acl_allow", priority: first),
                    try info.tableEntry("acl_ingress_rules", match: [
                        .exact("meta.acl_id", acl), .ternary("hdr.ipv4.src_addr", P4Value(bytes: [10, 244, 0, 0]), mask: P4Value(bytes: [255, 255, 0, 0])),
                        .ternary("hdr.ipv4.protocol", 6, mask: 0xff), .range("meta.l4_dst_port", low: 8000, high: 8080),
                    ], action: "acl_allow", priority: first),
                    try info.tableEntry("acl_ingress_rules", match: [
                        .exact("meta.acl_id", acl), .ternary("hdr.ipv4.protocol", 1, mask: 0xff),
                        .ternary("meta.icmp_type", 8, mask: 0xff), .ternary("meta.icmp_code", 0, mask: 0xff),
                    ], action: "acl_deny", priority: first - 1),
                ]
                XCTAssertEqual(Set(rules), Set(expected.map { var entry = $0; entry.match.sort { $0.fieldID < $1.fieldID }; return entry }))
            }
            // Changing the policy re-translates the endpoint that uses it, and only the rules change.
            let narrowed = PolicyIntent(id: policy.id, ingress: [policy.ingress[1]], egress: [])
            _ = try await store.apply { state in (state.policies.upsert(narrowed, for: narrowed.id), true) }
            try await emulator.withReader { reader in
                let rules = try await reader.readTableEntries("acl_ingress_rules")
                XCTAssertEqual(rules.count, 1)
                XCTAssertEqual(rules.first?.priority, K8sDpTranslator.firstRulePriority)
            }
        }
    }

    func testBackendChangesAndServiceDeleteKeepDependencyOrder() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let name = ServiceName(namespace: "default", name: "web")
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.7", 80), ("10.244.1.8", 80)]))
                return ((), true)
            }
            let profile = try info.actionProfile("service_backends").id
            func group() async throws -> [UInt32] {
                try await emulator.withReader { reader in
                    try await reader.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile })]).flatMap { $0.actionProfileGroup.members.map(\.memberID) }
                }
            }
            // One backend replaced: the slots are rewritten in place, the group stays.
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.8", 80), ("10.244.1.9", 80)]))
                return ((), true)
            }
            let index = EntityBuilding.canonical(1)
            try await emulator.withReader { reader in
                let slots = try await Self.slots(reader, info, index: index)
                XCTAssertEqual(Set(slots.values.map(\.0)), [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])
            }
            let unchanged = try await group()
            XCTAssertEqual(unchanged, [1, 2])
            // Grown to three: the new slot is written before the group lists it; shrunk to one:
            // the slots the group no longer lists are deleted after it (a reader sees no group
            // that lists an empty slot at any point; the transaction order is what guarantees it).
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.8", 80), ("10.244.1.9", 80), ("10.244.1.10", 80)]))
                return ((), true)
            }
            let grown = try await group()
            XCTAssertEqual(grown, [1, 2, 3])
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.9", 80)]))
                return ((), true)
            }
            await store.dataplane?.settleDeferredDeletes()
            let shrunk = try await group()
            XCTAssertEqual(shrunk, [1])
            try await emulator.withReader { reader in
                let slots = try await Self.slots(reader, info, index: index)
                XCTAssertEqual(slots.keys.sorted(), [0])
                XCTAssertEqual(slots[0]?.0, Data([10, 244, 1, 9]))
            }
            // Deleting the service removes its frontends and select entry, then its group, then its slots.
            _ = try await store.apply { state in (state.services.remove(name), true) }
            await store.dataplane?.settleDeferredDeletes()
            try await emulator.withReader { reader in
                let left = try await reader.read([
                    try info.allEntries(ofTable: "service_lb"),
                    try info.allEntries(ofTable: "service_select"),
                    try info.allEntries(ofTable: "service_slots"),
                    P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile }),
                ])
                XCTAssertTrue(left.isEmpty, "\(left)")
            }
        }
    }
}
