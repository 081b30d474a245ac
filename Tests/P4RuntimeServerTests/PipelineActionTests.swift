import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// VERIFY_AND_SAVE, COMMIT and RECONCILE_AND_COMMIT (§14, facts §4.11).
final class PipelineActionTests: XCTestCase {
    /// The test program plus one more exact table, so a Write can tell which config it used.
    static func extendedP4Info() throws -> P4_Config_V1_P4Info {
        var p4info = try TestPipeline.index().p4info
        var table = P4_Config_V1_Table()
        table.preamble.id = extra
        table.preamble.name = "ingress.extra"
        var field = P4_Config_V1_MatchField()
        field.id = 1
        field.name = "k"
        field.bitwidth = 8
        field.matchType = .exact
        table.matchFields = [field]
        var ref = P4_Config_V1_ActionRef()
        ref.id = TestPipeline.drop
        table.actionRefs = [ref]
        p4info.tables.append(table)
        return p4info
    }

    static let extra: UInt32 = 0x0200_0009

    func backendEntries(_ f: Fixture, _ table: UInt32) -> [P4_V1_TableEntry] {
        f.core.state.withLock { $0.backend.tableEntries(tableID: table) }
    }

    func cookie(_ f: Fixture) throws -> UInt64? {
        var request = P4_V1_GetForwardingPipelineConfigRequest()
        request.deviceID = 1
        request.responseType = .cookieOnly
        let response = try f.core.getForwardingPipelineConfig(request)
        return response.hasConfig ? response.config.cookie.cookie : nil
    }

    func testSaveLeavesForwardingStateAndCommitReplaysTheWritesSinceTheSave() throws {
        let f = try Fixture()
        let old = entry(TestPipeline.exact, [exact([1])], action(TestPipeline.drop))
        XCTAssertEqual(try f.code(.insert, old), .ok)
        let extraEntry = entry(Self.extra, [exact([5])], action(TestPipeline.drop))
        XCTAssertEqual(try f.code(.insert, extraEntry), .invalidArgument, "the committed program has no such table")

        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.verifyAndSave, cookie: 43, p4info: Self.extendedP4Info()))
        XCTAssertEqual(backendEntries(f, TestPipeline.exact).count, 1, "the dataplane keeps its state until COMMIT")
        XCTAssertEqual(try cookie(f), 43, "Get describes the config Reads and Writes now use")
        XCTAssertEqual(try f.code(.insert, extraEntry), .ok, "Writes use the saved config's ids")
        XCTAssertEqual(try f.read(entry(Self.extra, [])).count, 1)
        XCTAssertTrue(backendEntries(f, Self.extra).isEmpty, "staged, not yet realized")

        var commit = P4_V1_SetForwardingPipelineConfigRequest()
        commit.deviceID = 1
        commit.electionID = electionID(10)
        commit.action = .commit
        _ = try f.core.setForwardingPipelineConfig(commit)
        XCTAssertEqual(backendEntries(f, Self.extra).count, 1, "COMMIT replays the staged Write")
        XCTAssertTrue(backendEntries(f, TestPipeline.exact).isEmpty, "state from before the save is gone")
        XCTAssertEqual(try f.read(entry(Self.extra, [])), [extraEntry])
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(commit) }, .notFound, "the saved config was used up")
    }

    func testCommitNeedsASavedConfigAndNoConfigOfItsOwn() throws {
        let f = try Fixture()
        var commit = P4_V1_SetForwardingPipelineConfigRequest()
        commit.deviceID = 1
        commit.electionID = electionID(10)
        commit.action = .commit
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(commit) }, .notFound)
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.verifyAndSave))
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.commit)) }, .invalidArgument)
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.commit, election: 3)) }, .permissionDenied)
    }

    func testVerifyAndCommitDropsASavedConfig() throws {
        let f = try Fixture()
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.verifyAndSave, cookie: 43, p4info: Self.extendedP4Info()))
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(cookie: 44))
        XCTAssertEqual(try cookie(f), 44)
        XCTAssertEqual(try f.code(.insert, entry(Self.extra, [exact([5])], action(TestPipeline.drop))), .invalidArgument)
        var commit = P4_V1_SetForwardingPipelineConfigRequest()
        commit.deviceID = 1
        commit.electionID = electionID(10)
        commit.action = .commit
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(commit) }, .notFound)
    }

    func testSaveBeforeAnyCommitAcceptsWrites() throws {
        let f = try Fixture(pipeline: false)
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.verifyAndSave))
        XCTAssertEqual(try f.code(.insert, entry(TestPipeline.exact, [exact([1])], action(TestPipeline.drop))), .ok)
    }

    /// Every kind of state the emulator keeps, written once.
    func writeStateEverywhere(_ f: Fixture) throws {
        XCTAssertEqual(try f.code(.insert, entry(TestPipeline.exact, [exact([1])], action(TestPipeline.drop))), .ok)
        XCTAssertEqual(try f.code(.insert, member(1)), .ok)
        XCTAssertEqual(try f.code(.insert, group(1, members: [1])), .ok)
        var viaGroup = entry(TestPipeline.lb, [exact([10, 0, 0, 1])])
        viaGroup.tableEntry.action.actionProfileGroupID = 1
        XCTAssertEqual(try f.code(.insert, viaGroup), .ok)
        var defaultEntry = entry(TestPipeline.exact, [], action(TestPipeline.miss))
        defaultEntry.tableEntry.isDefaultAction = true
        XCTAssertEqual(try f.code(.modify, defaultEntry), .ok)
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 3, data: counts(packets: 9))), .ok)
    }

    func testReconcileKeepsStateOfUnchangedObjects() throws {
        let f = try Fixture()
        try writeStateEverywhere(f)
        var p4info = try Self.extendedP4Info()
        p4info.tables.removeAll { $0.preamble.id == TestPipeline.ports }  // stateless: may go
        let before = try [entry(0, []), member(0), group(0, members: []), counterEntity()].map { try f.read($0) }

        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.reconcileAndCommit, cookie: 50, p4info: p4info))
        let after = try [entry(0, []), member(0), group(0, members: []), counterEntity()].map { try f.read($0) }
        XCTAssertEqual(after, before)
        XCTAssertEqual(after[0].count, 2)
        var defaultRead = entry(TestPipeline.exact, [])
        defaultRead.tableEntry.isDefaultAction = true
        XCTAssertEqual(try f.read(defaultRead).first?.tableEntry.action.action.actionID, TestPipeline.miss)
        XCTAssertEqual(try cookie(f), 50)
        XCTAssertEqual(try f.code(.insert, entry(Self.extra, [exact([5])], action(TestPipeline.drop))), .ok, "the new table is live")
    }

    func testReconcileRefusesToDropStateAndChangesNothing() throws {
        let cases: [(String, (inout P4_Config_V1_P4Info) -> Void)] = [
            ("exact_t", { p4info in p4info.tables[0].matchFields[0].bitwidth = 48 }),
            ("exact_t", { p4info in
                p4info.tables.removeFirst()
                p4info.directCounters.removeAll()
            }),
            ("exact_t", { p4info in p4info.actions[0].params[0].bitwidth = 12 }),  // set_port, an action of exact_t
            ("lb_sel", { p4info in p4info.actionProfiles[0].maxGroupSize = 4 }),
            ("port_stats", { p4info in p4info.counters[0].size = 4 }),
        ]
        for (blocker, change) in cases {
            let f = try Fixture()
            try writeStateEverywhere(f)
            var p4info = try TestPipeline.index().p4info
            change(&p4info)
            do {
                _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.reconcileAndCommit, cookie: 50, p4info: p4info))
                XCTFail("a change to \(blocker) was accepted")
            } catch let error as P4ServerError {
                XCTAssertEqual(error.code, .invalidArgument, "\(error)")
                XCTAssertTrue(error.message.contains(blocker), "\(error)")
            }
            XCTAssertEqual(try cookie(f), 42, "the running pipeline stays")
            XCTAssertEqual(try f.read(entry(0, [])).count, 2)
        }
    }

    func testReconcileWithoutARunningPipelineCommits() throws {
        let f = try Fixture(pipeline: false)
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.reconcileAndCommit))
        XCTAssertEqual(try cookie(f), 42)
        XCTAssertEqual(try f.code(.insert, entry(TestPipeline.exact, [exact([1])], action(TestPipeline.drop))), .ok)
    }
}
