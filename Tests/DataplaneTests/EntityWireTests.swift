import Foundation
@testable import InfraManagerCore
import P4RuntimeAPI
import SwiftProtobuf
import XCTest

/// The manager writes its entities' protobuf bytes itself (`EntityWire`). They must be the
/// bytes swift-protobuf writes for the same message, because the model compares them with
/// what it reads back from a target (decoded and re-encoded by swift-protobuf), and equal
/// objects must give equal bytes.
final class EntityWireTests: XCTestCase {
    private let table = K8sDpSchema.Table(id: 0x0200_0001, name: "t", size: 1024, fields: [
        "a": .init(id: 1, bitwidth: 32), "b": .init(id: 2, bitwidth: 48), "c": .init(id: 300, bitwidth: 64),
    ])
    private let profile = K8sDpSchema.Profile(id: 0x1100_0007, name: "p", size: 4096, maxGroupSize: 255)

    /// Values of every canonical length, zero included.
    private let values: [UInt64] = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x0a00_0001, 0x0a58_0a00_0007, UInt64.max]

    func testTableEntriesWithEveryValueLengthAndPriority() throws {
        for value in values {
            for priority: Int32 in [0, 1, 1000, -5] {
                for params in [[], [value], [value, 0, 8080]] {
                    let action = action(id: 0x0100_0003, params)
                    // Given out of order: the builder sorts by field id.
                    let match = [EntityBuilding.exact(table.field("c"), value), EntityBuilding.exact(table.field("a"), 7)]
                    let (key, packed) = EntityBuilding.entry(table, match: match, priority: priority, action: action)
                    var expected = P4_V1_TableEntry()
                    expected.tableID = table.id
                    expected.match = [exact(1, 7), exact(300, value)]
                    expected.priority = priority
                    expected.action.action = p4Action(id: 0x0100_0003, params)
                    try assertSame(packed, P4_V1_Entity(expected))
                    XCTAssertEqual(key, TargetKey(P4_V1_Entity(expected)))
                }
            }
        }
    }

    func testTernaryAndRangeMatches() throws {
        let match = [
            EntityBuilding.range(table.field("c"), low: 80, high: 65535),
            EntityBuilding.ternary(table.field("a"), value: 0x0a01_0203, mask: 0xffff_0000),
            EntityBuilding.ternary(table.field("b"), value: 0, mask: 0xff),
        ]
        let (key, packed) = EntityBuilding.entry(table, match: match, priority: 99, action: action(id: 5, []))
        var expected = P4_V1_TableEntry()
        expected.tableID = table.id
        var ternaryA = P4_V1_FieldMatch()
        ternaryA.fieldID = 1
        ternaryA.ternary.value = Data([0x0a, 0x01, 0, 0])
        ternaryA.ternary.mask = Data([0xff, 0xff, 0, 0])
        var ternaryB = P4_V1_FieldMatch()
        ternaryB.fieldID = 2
        ternaryB.ternary.value = Data([0])
        ternaryB.ternary.mask = Data([0xff])
        var range = P4_V1_FieldMatch()
        range.fieldID = 300
        range.range.low = Data([80])
        range.range.high = Data([0xff, 0xff])
        expected.match = [ternaryA, ternaryB, range]
        expected.priority = 99
        expected.action.action = p4Action(id: 5, [])
        try assertSame(packed, P4_V1_Entity(expected))
        XCTAssertEqual(key, TargetKey(P4_V1_Entity(expected)))
    }

    func testGroupEntriesDefaultEntriesAndResets() throws {
        for groupID: UInt32 in [0, 1, 300, UInt32.max] {
            let (key, packed) = EntityBuilding.groupEntry(table, match: [EntityBuilding.exact(table.field("a"), UInt64(groupID))], groupID: groupID)
            var expected = P4_V1_TableEntry()
            expected.tableID = table.id
            expected.match = [exact(1, UInt64(groupID))]
            expected.action.actionProfileGroupID = groupID
            try assertSame(packed, P4_V1_Entity(expected))
            XCTAssertEqual(key, TargetKey(P4_V1_Entity(expected)))
        }
        let (key, packed) = EntityBuilding.defaultEntry(table, action: action(id: 9, [4, 0x5254_0012_3456]))
        var expected = P4_V1_TableEntry()
        expected.tableID = table.id
        expected.isDefaultAction = true
        expected.action.action = p4Action(id: 9, [4, 0x5254_0012_3456])
        try assertSame(packed, P4_V1_Entity(expected))
        XCTAssertEqual(key, .defaultEntry(table: table.id))

        var reset = P4_V1_TableEntry()
        reset.tableID = table.id
        reset.isDefaultAction = true
        try assertSame(DataplaneTransaction.resetDefault(table: table.id), P4_V1_Entity(reset))
    }

    /// Members and groups; a group of 255 members has a body longer than 127 bytes, so its
    /// length prefix takes two bytes.
    func testMembersAndGroups() throws {
        for id: UInt32 in [1, 128, 70000] {
            let (key, packed) = EntityBuilding.member(profile, id: id, action: action(id: 0x0100_0010, [UInt64(id - 1)]))
            var expected = P4_V1_ActionProfileMember()
            expected.actionProfileID = profile.id
            expected.memberID = id
            expected.action = p4Action(id: 0x0100_0010, [UInt64(id - 1)])
            try assertSame(packed, P4_V1_Entity(expected))
            XCTAssertEqual(key, TargetKey(P4_V1_Entity(expected)))
        }
        for members in [[], [3, 1, 2], Array(UInt32(1)...255)] {
            let (key, packed) = EntityBuilding.group(profile, id: 42, members: members)
            var expected = P4_V1_ActionProfileGroup()
            expected.actionProfileID = profile.id
            expected.groupID = 42
            expected.members = members.sorted().map { id in
                var member = P4_V1_ActionProfileGroup.Member()
                member.memberID = id
                member.weight = 1
                return member
            }
            try assertSame(packed, P4_V1_Entity(expected))
            XCTAssertEqual(key, TargetKey(P4_V1_Entity(expected)))
            if members.count == 255 { XCTAssertGreaterThan(packed.bytes.count, 300) }
        }
    }

    func testCanonicalBytes() {
        XCTAssertEqual(EntityBuilding.canonical(0), Data([0]))
        XCTAssertEqual(EntityBuilding.canonical(0x0100), Data([1, 0]))
        XCTAssertEqual(EntityBuilding.canonical(UInt64.max), Data(repeating: 0xff, count: 8))
        XCTAssertEqual(EntityBuilding.number(bytes: [0x52, 0x54, 0, 0x12, 0x34, 0x56]), 0x5254_0012_3456)
    }

    // MARK: Helpers

    private func action(id: UInt32, _ values: [UInt64]) -> EntityBuilding.Action {
        EntityBuilding.Action(actionID: id, params: values.enumerated().map { (id: UInt32($0.offset + 1), value: $0.element) })
    }

    private func p4Action(id: UInt32, _ values: [UInt64]) -> P4_V1_Action {
        var action = P4_V1_Action()
        action.actionID = id
        action.params = values.enumerated().map { position, value in
            var param = P4_V1_Action.Param()
            param.paramID = UInt32(position + 1)
            param.value = EntityBuilding.canonical(value)
            return param
        }
        return action
    }

    private func exact(_ fieldID: UInt32, _ value: UInt64) -> P4_V1_FieldMatch {
        var match = P4_V1_FieldMatch()
        match.fieldID = fieldID
        match.exact.value = EntityBuilding.canonical(value)
        return match
    }

    private func assertSame(_ packed: PackedEntity, _ expected: P4_V1_Entity, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference: [UInt8] = try expected.serializedBytes()
        XCTAssertEqual(packed.bytes, reference, file: file, line: line)
        XCTAssertEqual(packed.entity, expected, file: file, line: line)
    }
}
