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

    func testServiceFrontendsGroupAndMembers() async throws {
        try await withProgrammedEmulator { store, emulator, info in
            let service = DataplaneFixture.service(
                "web", clusterIP: "10.96.0.10", port: 80, nodePort: 30080, backends: [("10.244.1.7", 8080), ("10.244.2.9", 8080)],
                externalIPs: ["203.0.113.7"], loadBalancerIPs: ["198.51.100.4"]
            )
            _ = try await store.apply { state in
                state.hostInterface = DataplaneFixture.host(["192.168.10.5/24"])
                _ = state.services.upsert(service, for: service.name)
                return ((), true)
            }
            try await emulator.withReader { reader in
                let members = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = try! info.actionProfile("service_backends").id })])
                    .map(\.actionProfileMember)
                XCTAssertEqual(members.count, 2)
                let backends = Set(try members.map { member -> P4_V1_Action in
                    var action = member.action
                    action.params = action.params.filter { $0.paramID != (try! info.param("service_index", ofAction: "dnat_to_backend").id) }
                    return action
                })
                let index = try XCTUnwrap(members.first?.action.params.first { $0.paramID == (try info.param("service_index", ofAction: "dnat_to_backend").id) }?.value)
                XCTAssertTrue(members.allSatisfy { $0.action.params.contains { $0.value == index } }, "one service index per service port")
                func backend(_ ip: [UInt8]) throws -> P4_V1_Action {
                    var action = try info.action("dnat_to_backend", params: [
                        "backend_ip": P4Value(bytes: ip), "backend_port": 8080, "service_index": 1,
                        "timeout_profile": P4Value(UInt(DataplaneFixture.settings.connectionTimeoutProfile)),
                    ])
                    action.params = action.params.filter { $0.paramID != (try! info.param("service_index", ofAction: "dnat_to_backend").id) }
                    return action
                }
                XCTAssertEqual(backends, [try backend([10, 244, 1, 7]), try backend([10, 244, 2, 9])])

                let groups = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = try! info.actionProfile("service_backends").id })])
                    .map(\.actionProfileGroup)
                XCTAssertEqual(groups.count, 1)
                XCTAssertEqual(Set(groups[0].members.map(\.memberID)), Set(members.map(\.memberID)))

                let entries = try await reader.readTableEntries("service_lb")
                let frontends: [([UInt8], UInt16)] = [([10, 96, 0, 10], 80), ([203, 0, 113, 7], 80), ([198, 51, 100, 4], 80), ([192, 168, 10, 5], 30080)]
                XCTAssertEqual(Set(entries.map(\.match)), Set(try frontends.map { ip, port in
                    try info.tableEntry("service_lb", match: [
                        .exact("hdr.ipv4.dst_addr", P4Value(bytes: ip)), .exact("hdr.ipv4.protocol", 6), .exact("meta.l4_dst_port", P4Value(UInt(port))),
                    ], action: "drop_no_endpoints", params: ["service_index": 1]).match
                }), "cluster IP, external IP, load-balancer IP and node port")
                XCTAssertTrue(entries.allSatisfy { $0.action.actionProfileGroupID == groups[0].groupID })
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
                let plain = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = try! info.actionProfile("service_backends").id })])
                XCTAssertEqual(plain.map(\.actionProfileMember.action.actionID), [try info.action("drop_no_endpoints").id])
                let affinity = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = try! info.actionProfile("service_backends_affinity").id })])
                XCTAssertEqual(affinity.count, 1)
                let profileParam = try info.param("timeout_profile", ofAction: "dnat_to_backend").id
                let profile = affinity.first?.actionProfileMember.action.params.first { $0.paramID == profileParam }?.value
                XCTAssertEqual(profile, EntityBuilding.canonical(UInt64(DataplaneFixture.settings.timeoutProfile(atLeast: 10800))))
                let udp = try await reader.readTableEntries("service_lb")
                XCTAssertEqual(udp.count, 1)
                XCTAssertTrue(udp[0].match.contains { $0.exact.value == EntityBuilding.canonical(17) })
                let sctp = try await reader.readTableEntries("service_lb_affinity")
                XCTAssertEqual(sctp.count, 1)
                XCTAssertTrue(sctp[0].match.contains { $0.exact.value == EntityBuilding.canonical(132) })
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
            // One backend replaced: a member insert, a group modify and a member delete, in that order.
            _ = try await store.apply { state in
                state.put(DataplaneFixture.service("web", clusterIP: "10.96.0.10", backends: [("10.244.1.8", 80), ("10.244.1.9", 80)]))
                return ((), true)
            }
            await store.dataplane?.settleDeferredDeletes()
            let profile = try info.actionProfile("service_backends").id
            try await emulator.withReader { reader in
                let members = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = profile })]).map(\.actionProfileMember)
                let ips = Set(members.map { $0.action.params[0].value })
                XCTAssertEqual(ips, [Data([10, 244, 1, 8]), Data([10, 244, 1, 9])])
                let groups = try await reader.read([P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile })]).map(\.actionProfileGroup)
                XCTAssertEqual(Set(groups.flatMap { $0.members.map(\.memberID) }), Set(members.map(\.memberID)))
            }
            // Deleting the service removes the entry before the group and the group before its members.
            _ = try await store.apply { state in (state.services.remove(name), true) }
            await store.dataplane?.settleDeferredDeletes()
            try await emulator.withReader { reader in
                let left = try await reader.read([
                    try info.allEntries(ofTable: "service_lb"),
                    P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile }),
                    P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = profile }),
                ])
                XCTAssertTrue(left.isEmpty, "\(left)")
            }
        }
    }
}
