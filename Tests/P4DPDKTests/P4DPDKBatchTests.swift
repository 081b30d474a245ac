import Foundation
import GRPCNIOTransportHTTP2Posix
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// One DPDK commit per Write: updates that depend on each other in one Write, per-update
/// errors next to updates that apply, and a commit DPDK refuses, which must fail the whole
/// Write and leave the pipeline and Read exactly as before.
final class P4DPDKBatchTests: DPDKTestCase {
    /// A testbed with k8s_dp and the routes to the client (10.0.0.1, port 0) and the backend
    /// (10.0.0.3, port 1), plus `more` in the same Write.
    func startWithRoutes(_ k8s: K8sDpEntities, more: [P4_V1_Update] = []) async throws {
        testbed = try await DPDKTestbed.started(ports: 2)
        let routes: [P4_V1_Update] = [
            .insert(P4_V1_Entity(try k8s.route("10.0.0.1", port: 0, mac: Self.clientMAC))),
            .insert(P4_V1_Entity(try k8s.route("10.0.0.3", port: 1, mac: Self.backendMAC))),
        ]
        try await testbed.withClient { client in try await client.write(routes + more) }
    }

    func testOneWriteCommitsDependentUpdatesAndRefusedUpdatesFailAlone() async throws {
        let k8s = K8sDpEntities(p4info: try DPDKTestbed.program().0)
        try await startWithRoutes(k8s)
        let updates: [P4_V1_Update] = (try k8s.service("10.96.0.10", port: 80, index: 5, groupID: 7, backend: "10.0.0.3")) + [
            .insert(P4_V1_Entity(try k8s.aclRule(80...90, priority: 10))),
            .insert(P4_V1_Entity(try k8s.aclRule(80...90, priority: 10))),  // the core refuses: ALREADY_EXISTS
            .insert(P4_V1_Entity(try k8s.aclRule(100...110, priority: Int32.max))),  // the backend refuses: OUT_OF_RANGE
            .insert(P4_V1_Entity(try k8s.route("10.0.0.9", port: 1, mac: Self.backendMAC))),
            .delete(P4_V1_Entity(try k8s.route("10.0.0.9", port: 1, mac: Self.backendMAC))),
            .insert(P4_V1_Entity(try k8s.route("10.0.0.4", port: 0, mac: Self.clientMAC))),
            .modify(P4_V1_Entity(try k8s.route("10.0.0.4", port: 1, mac: Self.backendMAC))),
        ]
        let failures = try await testbed.withClient { client in try await Self.failures { try await client.write(updates) } }
        XCTAssertEqual(failures.map(\.index), [6, 7], "only the two refused updates fail: \(failures)")
        XCTAssertEqual(failures.map(\.canonicalCode), [.alreadyExists, .outOfRange])

        let state = try await testbed.withClient { client in try await TargetState.read(client) }
        XCTAssertEqual(state.members.map(\.memberID), [1])
        XCTAssertEqual(state.groups.map(\.groupID), [7])
        XCTAssertEqual(state.services.count, 1)
        XCTAssertEqual(state.selects.count, 1)
        XCTAssertEqual(state.slots.count, 1)
        XCTAssertEqual(state.rules.count, 1, "the rule inserted once, not its refused duplicate")
        XCTAssertEqual(state.routes, [
            try k8s.route("10.0.0.1", port: 0, mac: Self.clientMAC), try k8s.route("10.0.0.3", port: 1, mac: Self.backendMAC),
            try k8s.route("10.0.0.4", port: 1, mac: Self.backendMAC),
        ], "10.0.0.9 inserted and deleted in the same Write is gone; 10.0.0.4 has its modified port")

        // The pipeline holds what Read says: the service (member, slot, group and entries from
        // one commit) DNATs, the modified route forwards to port 1, the deleted one does not.
        let request = Frames.udp(srcMAC: Self.clientMAC, dstMAC: K8sDpEntities.gatewayMAC, src: "10.0.0.1", dst: "10.96.0.10", srcPort: 5555, dstPort: 80)
        let toModified = Frames.udp(srcMAC: Self.clientMAC, dstMAC: K8sDpEntities.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.4", srcPort: 4000, dstPort: 53)
        let toDeleted = Frames.udp(srcMAC: Self.clientMAC, dstMAC: K8sDpEntities.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.9", srcPort: 4000, dstPort: 53)
        let out = try testbed.exchange([request, toModified, toDeleted], from: 0, at: 1).compactMap(Frames.parseUDP)
        XCTAssertEqual(Set(out.map(\.dst)), ["10.0.0.3", "10.0.0.4"], "DNAT to the backend and the modified route reach port 1, the deleted route does not: \(out)")
        XCTAssertEqual(out.first { $0.dst == "10.0.0.3" }?.dstPort, 8080)
    }

    func testARefusedCommitFailsEveryUpdateAndLeavesPipelineAndReadAsBefore() async throws {
        let k8s = K8sDpEntities(p4info: try DPDKTestbed.program().0)
        try await startWithRoutes(k8s, more: [
            .insert(P4_V1_Entity(try k8s.aclRule(80...90, priority: 10))),
            .insert(P4_V1_Entity(try k8s.aclRule(100...110, priority: 20))),
            .insert(P4_V1_Entity(try k8s.aclRule(200...210, priority: 30))),
        ])
        let before = try await testbed.withClient { client in try await TargetState.read(client) }

        // DPDK 22.11's selector takes only member ids below its group size (256 for k8s_dp):
        // member 300 in a group stages fine and is refused by the commit (ENOSPC).
        let updates: [P4_V1_Update] = [
            .modify(P4_V1_Entity(try k8s.route("10.0.0.3", port: 0, mac: Self.clientMAC))),
            .delete(P4_V1_Entity(try k8s.aclRule(100...110, priority: 20))),
        ] + (try k8s.service("10.96.0.10", port: 80, index: 5, groupID: 9, backend: "10.0.0.3", memberID: 300)) + [
            .insert(P4_V1_Entity(try k8s.aclRule(80...90, priority: 10))),  // the core refuses: ALREADY_EXISTS
        ]
        let failures = try await testbed.withClient { client in try await Self.failures { try await client.write(updates) } }
        XCTAssertEqual(failures.map(\.index), Array(0..<8), "every update fails: \(failures)")
        XCTAssertEqual(failures.map(\.canonicalCode), Array(repeating: .resourceExhausted, count: 7) + [.alreadyExists])
        XCTAssertTrue(failures.first?.message.contains("commit") == true, "the error says the commit failed: \(failures.first?.message ?? "")")

        let after = try await testbed.withClient { client in try await TargetState.read(client) }
        XCTAssertEqual(after, before, "Read returns exactly what it did before the Write, in the same order")
        let toBackend = Frames.udp(srcMAC: Self.clientMAC, dstMAC: K8sDpEntities.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.3", srcPort: 4000, dstPort: 53)
        XCTAssertEqual(try testbed.exchange([toBackend], from: 0, at: 1).compactMap(Frames.parseUDP).map(\.dst), ["10.0.0.3"],
                       "the route the failed Write modified still forwards to port 1")

        // Nothing of the aborted Write stays staged: the next Write commits just itself.
        try await testbed.withClient { client in
            try await client.write(try k8s.service("10.96.0.10", port: 80, index: 5, groupID: 7, backend: "10.0.0.3"))
        }
        let request = Frames.udp(srcMAC: Self.clientMAC, dstMAC: K8sDpEntities.gatewayMAC, src: "10.0.0.1", dst: "10.96.0.10", srcPort: 5555, dstPort: 80)
        let atBackend = try testbed.exchange([request], from: 0, at: 1).compactMap(Frames.parseUDP)
        XCTAssertEqual(atBackend.map(\.dst), ["10.0.0.3"], "the service written after the aborted commit works")
        let final = try await testbed.withClient { client in try await TargetState.read(client) }
        XCTAssertEqual(final.routes, before.routes)
        XCTAssertEqual(final.rules, before.rules)
        XCTAssertEqual(final.members.map(\.memberID), [1])
    }

    /// The per-update failures of a Write (none when it succeeds).
    static func failures(_ write: () async throws -> Void) async throws -> [P4UpdateFailure] {
        do {
            try await write()
            return []
        } catch let error as P4RuntimeError {
            return error.failures
        }
    }
}

/// What Read returns for the tables these tests write, in Read's order.
struct TargetState: Equatable, Sendable {
    var routes: [P4_V1_TableEntry]
    var rules: [P4_V1_TableEntry]
    var services: [P4_V1_TableEntry]
    var selects: [P4_V1_TableEntry]
    var slots: [P4_V1_TableEntry]
    var members: [P4_V1_ActionProfileMember]
    var groups: [P4_V1_ActionProfileGroup]

    static func read(_ client: P4RuntimeClient<HTTP2ClientTransport.Posix>) async throws -> TargetState {
        let profile = try DPDKTestbed.program().0.actionProfile("service_backends").id
        let objects = try await client.read([
            P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = profile }),
            P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile }),
        ])
        return TargetState(
            routes: try await client.readTableEntries("ipv4_to_port"),
            rules: try await client.readTableEntries("acl_egress_rules"),
            services: try await client.readTableEntries("service_lb"),
            selects: try await client.readTableEntries("service_select"),
            slots: try await client.readTableEntries("service_slots"),
            members: objects.compactMap { object -> P4_V1_ActionProfileMember? in
                if case .actionProfileMember(let member)? = object.entity { return member }
                return nil
            },
            groups: objects.compactMap { object -> P4_V1_ActionProfileGroup? in
                if case .actionProfileGroup(let group)? = object.entity { return group }
                return nil
            }
        )
    }
}
