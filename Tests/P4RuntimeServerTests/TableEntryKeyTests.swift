import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// The table-entry key: equal canonical matches give equal keys, any difference gives a
/// different key (ALREADY_EXISTS / NOT_FOUND depend on it).
final class TableEntryKeyTests: XCTestCase {
    typealias P = TestPipeline

    private func key(_ table: UInt32 = 7, _ matches: [P4_V1_FieldMatch], priority: Int32 = 0) -> P4TableEntryKey {
        P4TableEntryKey(tableID: table, sortedMatch: matches, priority: priority)
    }

    private func field(_ id: UInt32, _ build: (inout P4_V1_FieldMatch) -> Void) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = id
        build(&match)
        return match
    }

    private func exactField(_ id: UInt32, _ value: [UInt8]) -> P4_V1_FieldMatch { field(id) { $0.exact.value = Data(value) } }

    func testEqualMatchesGiveEqualKeys() {
        let samples: [[P4_V1_FieldMatch]] = [
            [],
            [exactField(1, [10, 0, 0, 1])],
            [exactField(1, [1]), field(2) { $0.ternary.value = Data([0x50]); $0.ternary.mask = Data([0xf0]) }],
            [field(1) { $0.lpm.value = Data([10]); $0.lpm.prefixLen = 8 }, field(3) { $0.range.low = Data([1]); $0.range.high = Data([2, 0]) }],
            [field(1) { $0.optional.value = Data([5]) }],
        ]
        for matches in samples {
            // Rebuilt from scratch: nothing shared but the content.
            let copy = matches.map { try! P4_V1_FieldMatch(serializedBytes: try! $0.serializedBytes() as [UInt8]) }
            let a = key(7, matches, priority: 3)
            let b = key(7, copy, priority: 3)
            XCTAssertEqual(a, b)
            XCTAssertEqual(a.hashValue, b.hashValue)
            XCTAssertEqual(Set([a, b]).count, 1)
        }
    }

    func testAnyDifferenceGivesADifferentKey() {
        let base = [exactField(1, [1, 2]), field(2) { $0.ternary.value = Data([1]); $0.ternary.mask = Data([3]) }]
        let variants: [(String, P4TableEntryKey)] = [
            ("table", key(8, base, priority: 1)),
            ("priority", key(7, base, priority: 2)),
            ("field id", key(7, [exactField(3, [1, 2]), base[1]], priority: 1)),
            ("value", key(7, [exactField(1, [1, 3]), base[1]], priority: 1)),
            ("value length", key(7, [exactField(1, [1, 2, 0]), base[1]], priority: 1)),
            ("kind", key(7, [field(1) { $0.optional.value = Data([1, 2]) }, base[1]], priority: 1)),
            ("kind, same values", key(7, [base[0], field(2) { $0.range.low = Data([1]); $0.range.high = Data([3]) }], priority: 1)),
            ("mask", key(7, [base[0], field(2) { $0.ternary.value = Data([1]); $0.ternary.mask = Data([7]) }], priority: 1)),
            // Bytes moved from one value to the next must not give the same string.
            ("value boundary", key(7, [base[0], field(2) { $0.ternary.value = Data([1, 3]); $0.ternary.mask = Data() }], priority: 1)),
            ("one field fewer", key(7, [base[0]], priority: 1)),
            ("no fields", key(7, [], priority: 1)),
        ]
        let reference = key(7, base, priority: 1)
        for (what, other) in variants {
            XCTAssertNotEqual(reference, other, what)
        }
        XCTAssertEqual(Set(variants.map(\.1) + [reference]).count, variants.count + 1, "all pairwise different")

        let lpm = { (value: [UInt8], prefix: Int32) in
            self.key(7, [self.field(1) { $0.lpm.value = Data(value); $0.lpm.prefixLen = prefix }])
        }
        XCTAssertEqual(lpm([10], 8), lpm([10], 8))
        XCTAssertNotEqual(lpm([10], 8), lpm([10], 16), "prefix length")
        XCTAssertNotEqual(lpm([10], 8), lpm([11], 8), "lpm value")
        // A long value must not be confused with a short one followed by the next field.
        XCTAssertNotEqual(key(7, [exactField(1, Array(repeating: 9, count: 200))]), key(7, [exactField(1, Array(repeating: 9, count: 72))]))
    }

    /// Two spellings of one key (field order, padding) meet through the validator.
    func testSpellingsOfOneKeyMeet() throws {
        let f = try Fixture()
        let optional = field(1) { $0.optional.value = Data([0, 0, 4]) }
        XCTAssertEqual(try f.code(.insert, entry(P.opt, [exactField(2, [0, 9]), optional], action(P.drop), priority: 5)), .ok)
        let canonical = [field(1) { $0.optional.value = Data([4]) }, exactField(2, [9])]
        XCTAssertEqual(try f.code(.insert, entry(P.opt, canonical, action(P.drop), priority: 5)), .alreadyExists)
        XCTAssertEqual(try f.code(.insert, entry(P.opt, canonical, action(P.drop), priority: 6)), .ok, "another priority is another key")
        XCTAssertEqual(try f.code(.delete, entry(P.opt, [exactField(2, [9]), optional], priority: 5)), .ok)
        XCTAssertEqual(try f.code(.delete, entry(P.opt, canonical, priority: 5)), .notFound)
    }
}
