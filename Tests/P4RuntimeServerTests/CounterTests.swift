import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// Indexed and direct counters (§9.3, facts §4.8): MODIFY presets cells, reads follow the
/// wildcard rules, and in the emulator a cell holds what was written (zero at first).
final class CounterTests: XCTestCase {
    typealias P = TestPipeline

    func cells(_ f: Fixture, _ entity: P4_V1_Entity = counterEntity()) throws -> [Int64: Int64] {
        var result: [Int64: Int64] = [:]
        for read in try f.read(entity) {
            XCTAssertEqual(read.counterEntry.counterID, P.portStats)
            XCTAssertTrue(read.counterEntry.hasIndex)
            result[read.counterEntry.index.index] = read.counterEntry.data.packetCount
        }
        return result
    }

    func testEveryCellStartsAtZeroAndReadsBackWhatWasWritten() throws {
        let f = try Fixture()
        XCTAssertEqual(try cells(f), Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, 0) }))
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 0, data: counts(packets: 5, bytes: 320))), .ok)
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 7, data: counts(packets: 2))), .ok)

        let one = try f.read(counterEntity(index: 0))
        XCTAssertEqual(one.count, 1, "index{0} is cell 0, not a wildcard")
        XCTAssertEqual(one.first?.counterEntry.data, counts(packets: 5, bytes: 320))
        XCTAssertEqual(try cells(f, counterEntity(0)).filter { $0.value != 0 }, [0: 5, 7: 2], "counter_id 0 reads every counter")
        XCTAssertEqual(try cells(f, counterEntity(0, index: 7)), [7: 2])
    }

    func testModifyWithoutIndexSetsEveryCellAndWithoutDataChangesNothing() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.modify, counterEntity(data: counts(packets: 3))), .ok)
        XCTAssertEqual(Set(try cells(f).values), [3])
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 2)), .ok)
        XCTAssertEqual(try cells(f)[2], 3)
        XCTAssertEqual(try f.code(.modify, counterEntity(data: P4_V1_CounterData())), .ok)
        XCTAssertEqual(Set(try cells(f).values), [0])
        XCTAssertEqual(f.core.state.withLock { $0.backend.counterData(counterID: P.portStats, index: 2) }, P4_V1_CounterData())
    }

    func testWriteErrors() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 8, data: counts(packets: 1))), .outOfRange)
        XCTAssertEqual(try f.code(.modify, counterEntity(index: -1, data: counts(packets: 1))), .invalidArgument)
        XCTAssertEqual(try f.code(.modify, counterEntity(0x1200_0009, index: 0, data: counts(packets: 1))), .notFound)
        XCTAssertEqual(try f.code(.modify, counterEntity(0, index: 0, data: counts(packets: 1))), .invalidArgument)
        XCTAssertEqual(try f.code(.insert, counterEntity(index: 0, data: counts(packets: 1))), .invalidArgument)
        XCTAssertEqual(try f.code(.delete, counterEntity(index: 0)), .invalidArgument)
        XCTAssertEqual(try f.code(.modify, counterEntity(index: 0, data: counts(packets: -1))), .invalidArgument)
        XCTAssertEqual(Set(try cells(f).values), [0], "nothing was written")
    }

    func testReadErrorsAreReportedPerEntity() throws {
        let f = try Fixture()
        for (entity, code) in [(counterEntity(index: 8), P4ServerError.Code.outOfRange), (counterEntity(0x1200_0009), .notFound)] {
            do {
                _ = try f.read(entity)
                XCTFail("read of \(entity) succeeded")
            } catch let error as P4ServerError {
                XCTAssertEqual(error.details.map(\.canonicalCode), [code.rawValue], "\(error)")
            }
        }
    }

    func testDirectCounterFollowsItsEntry() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.modify, directCounterEntity(P.exact, [exact([1])], data: counts(packets: 1))), .notFound)
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.drop))), .ok)
        XCTAssertEqual(try f.read(directCounterEntity(P.exact, [exact([1])])).first?.directCounterEntry.data, P4_V1_CounterData())

        XCTAssertEqual(try f.code(.modify, directCounterEntity(P.exact, [exact([0, 1])], data: counts(packets: 4, bytes: 256))), .ok)
        let read = try f.read(directCounterEntity(0, []))
        XCTAssertEqual(read.count, 1)
        XCTAssertEqual(read.first?.directCounterEntry.tableEntry.match, [exact([1])], "key fields, canonical")
        XCTAssertEqual(read.first?.directCounterEntry.data, counts(packets: 4, bytes: 256))
        var asking = entry(P.exact, [])
        asking.tableEntry.counterData = P4_V1_CounterData()
        XCTAssertEqual(try f.read(asking).first?.tableEntry.counterData.packetCount, 4, "the same value on the table entry")

        XCTAssertEqual(try f.code(.modify, directCounterEntity(P.exact, [exact([1])])), .ok, "data unset: no change")
        XCTAssertEqual(try f.read(directCounterEntity(P.exact, [])).first?.directCounterEntry.data.packetCount, 4)
        XCTAssertEqual(try f.code(.insert, directCounterEntity(P.exact, [exact([1])], data: counts(packets: 1))), .invalidArgument)
        XCTAssertEqual(try f.code(.modify, directCounterEntity(P.acl, [ternary([1], [1])], data: counts(packets: 1))), .invalidArgument,
                       "acl has no direct counter")
        XCTAssertEqual(try f.code(.delete, entry(P.exact, [exact([1])])), .ok)
        XCTAssertTrue(try f.read(directCounterEntity(P.exact, [])).isEmpty, "the counter went with its entry")
    }

    func testNeverWrittenDirectCounterReadsAsZeroOnTheEntry() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(P.exact, [exact([1])], action(P.drop))), .ok)
        var asking = entry(P.exact, [])
        asking.tableEntry.counterData = P4_V1_CounterData()
        XCTAssertEqual(try f.read(asking).first?.tableEntry.hasCounterData, true)
    }

    func testInMemoryResetKeepsCellsOutsideTheRange() throws {
        var backend = InMemoryBackend()
        try backend.setCounterData(counts(packets: 1), counterID: 1, indices: 0..<4)
        try backend.setCounterData(P4_V1_CounterData(), counterID: 1, indices: 1..<3)
        XCTAssertEqual((0..<4).map { backend.counterData(counterID: 1, index: $0).packetCount }, [1, 0, 0, 1])
    }
}

/// What the emulator does not model answers UNIMPLEMENTED and names the feature.
final class UnsupportedFeatureTests: XCTestCase {
    func testUnmodelledEntitiesNameTheFeature() throws {
        let f = try Fixture()
        var meter = P4_V1_Entity()
        meter.meterEntry.meterID = 0x1400_0001
        var register = P4_V1_Entity()
        register.registerEntry.registerID = 0x1600_0001
        var digest = P4_V1_Entity()
        digest.digestEntry.digestID = 0x1700_0001
        var multicast = P4_V1_Entity()
        multicast.packetReplicationEngineEntry.multicastGroupEntry.multicastGroupID = 1
        for (entity, name) in [(meter, "meters"), (register, "registers"), (digest, "digests"), (multicast, "multicast")] {
            do {
                _ = try f.core.write(writeRequest([update(.modify, entity)]))
                XCTFail("\(name) were accepted")
            } catch let error as P4ServerError {
                XCTAssertEqual(error.details.first?.canonicalCode, P4ServerError.Code.unimplemented.rawValue)
                XCTAssertTrue(error.details.first?.message.contains(name) ?? false, "\(error.details)")
            }
            do {
                _ = try f.read(entity)
                XCTFail("reading \(name) succeeded")
            } catch let error as P4ServerError {
                XCTAssertEqual(error.details.first?.canonicalCode, P4ServerError.Code.unimplemented.rawValue)
                XCTAssertTrue(error.details.first?.message.contains(name) ?? false, "\(error.details)")
            }
        }
    }

    func testPacketOutIsAnsweredWithAStreamError() async throws {
        let f = try Fixture()
        var message = P4_V1_StreamMessageRequest()
        message.packet.payload = Data([0xde, 0xad])
        try f.primary.receive(message)
        f.primary.close()
        var errors: [P4_V1_StreamError] = []
        for await response in f.primary.responses {
            if case .error(let error)? = response.update { errors.append(error) }
        }
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.canonicalCode, P4ServerError.Code.unimplemented.rawValue)
        XCTAssertTrue(errors.first?.message.contains("packet I/O") ?? false)
        XCTAssertEqual(errors.first?.packetOut.packetOut.payload, Data([0xde, 0xad]), "the dropped packet comes back in the error")
    }
}
