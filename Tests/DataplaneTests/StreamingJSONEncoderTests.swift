import Foundation
@testable import InfraManagerCore
import InfraNet
import XCTest

/// The encoder behind the state journal and the state file: what it writes must read back
/// with `JSONDecoder` as the value it came from and hold the same JSON values as
/// `JSONEncoder`'s output, for every shape the persisted types use and the shapes `Codable`
/// allows besides.
final class StreamingJSONEncoderTests: XCTestCase {
    /// A journal record with every kind of intent, text that needs escaping and values at the
    /// edges of their types.
    func testJournalRecordReadsBackAndMatchesJSONEncoder() throws {
        let policy = PolicyIntent(
            id: "ns \"quoted\" \\ back/slash\nnew line\u{01}ü€",
            ingress: [
                RuleIntent(action: .allow, peers: [CIDR("10.0.0.0/8")!, CIDR("fd00::/64")!], transport: .tcp, ports: [80...80, 1024...65535], icmp: nil),
                RuleIntent(action: .deny, peers: [], transport: .icmp, ports: [], icmp: ICMPMatchIntent(type: 8, code: nil)),
            ],
            egress: [RuleIntent(action: .allow, peers: [], transport: nil, ports: [], icmp: ICMPMatchIntent(type: 3, code: 255))]
        )
        let endpoint = EndpointIntent(id: "wep-1", pod: PodKey(containerID: "c1", interfaceName: "eth0"), addresses: [IPAddress("10.244.1.7")!], ingressPolicies: [policy.id], egressPolicies: [])
        var change = DesiredState.Change(hostInterfaceChanged: true, hostInterface: DataplaneFixture.host())
        change.pods = [DataplaneFixture.pod("p1", port: "port1", ip: "10.244.1.7")]
        change.services = [
            DataplaneFixture.service("a", clusterIP: "10.96.0.1", nodePort: 30080, backends: [("10.244.2.1", 80), ("10.244.2.2", 8080)], externalIPs: ["192.0.2.1"], affinity: .clientIP(timeoutSeconds: 10800)),
            DataplaneFixture.service("b", clusterIP: "10.96.0.2", transport: .sctp, backends: []),
        ]
        change.removedServices = [DataplaneFixture.service("gone", clusterIP: "10.96.0.3", backends: [("10.244.2.9", 53)])]
        change.policies = [policy]
        change.endpoints = [endpoint, EndpointIntent(id: "wep-2", pod: nil, addresses: [], ingressPolicies: [], egressPolicies: [])]
        var ids = DataplaneIDs.Delta()
        ids.services = [.init(slot: DataplaneIDs.ServiceSlot(namespace: "default", name: "a", port: "p"), id: UInt32.max)]
        ids.releasedServices = [DataplaneIDs.ServiceSlot(namespace: "default", name: "gone", port: "p")]
        let record = StateJournal.Record(generation: UInt64.max, change: change, ids: ids)

        let bytes = try StreamingJSONEncoder().encode(record)
        XCTAssertEqual(try JSONDecoder().decode(StateJournal.Record.self, from: Data(bytes)), record)
        try assertSameJSON(bytes, as: record)
        XCTAssertFalse(bytes.contains(UInt8(ascii: "\n")), "a journal record must stay on one line")
    }

    /// Shapes the persisted types do not use today: nested containers, a value that writes
    /// nothing, super encoders, dictionaries with integer and string keys, nils in arrays,
    /// floating point, integer extremes.
    func testOtherCodableShapes() throws {
        let value = Shapes(
            nested: Inner(flag: true, numbers: [Int64.min, -1, 0, Int64.max]),
            empty: Empty(), byNumber: [3: "three", -7: "minus seven"], byName: ["x": [1, 2], "": []],
            optionals: [nil, 1, nil], real: 1.5, small: -0.25, unsigned: UInt64.max, bytes: [0, 255],
            tuple: Pair(first: "a", second: 2)
        )
        let bytes = try StreamingJSONEncoder().encode(value)
        XCTAssertEqual(try JSONDecoder().decode(Shapes.self, from: Data(bytes)), value)
        try assertSameJSON(bytes, as: value)
        XCTAssertEqual(String(decoding: try StreamingJSONEncoder().encode(Empty()), as: UTF8.self), "{}")
        XCTAssertEqual(String(decoding: try StreamingJSONEncoder().encode([Empty(), Empty()]), as: UTF8.self), "[{},{}]")
        XCTAssertEqual(String(decoding: try StreamingJSONEncoder().encode("tab\there"), as: UTF8.self), "\"tab\\there\"")
        XCTAssertEqual(String(decoding: try StreamingJSONEncoder().encode([[Int]]([[], [1], []])), as: UTF8.self), "[[],[1],[]]")
    }

    func testNonFiniteNumbersAreRefused() {
        XCTAssertThrowsError(try StreamingJSONEncoder().encode([Double.infinity])) { error in
            guard case EncodingError.invalidValue = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try StreamingJSONEncoder().encode(["x": Float.nan]))
    }

    /// Pieces handed to the sink join up to the whole text, whatever the piece size.
    func testPiecesJoinToTheWholeText() throws {
        let value = (0..<500).map { Pair(first: "item \($0)", second: $0) }
        let whole = try StreamingJSONEncoder().encode(value)
        for size in [1, 7, 64, 4096] {
            var pieces: [[UInt8]] = []
            try StreamingJSONEncoder().encode(value, flushSize: size) { pieces.append($0) }
            XCTAssertEqual(Array(pieces.joined()), whole, "flush size \(size)")
            if size < whole.count / 2 { XCTAssertGreaterThan(pieces.count, 1) }
        }
    }

    // MARK: Helpers

    /// Compares as JSON values (key order and number spelling aside).
    private func assertSameJSON(_ bytes: [UInt8], as value: some Encodable, file: StaticString = #filePath, line: UInt = #line) throws {
        let ours = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed])
        XCTAssertEqual(ours as? NSObject, reference as? NSObject, file: file, line: line)
    }
}

private struct Empty: Codable, Equatable {
    func encode(to encoder: any Encoder) throws {}
    init() {}
    init(from decoder: any Decoder) throws {}
}

private struct Inner: Codable, Equatable {
    var flag: Bool
    var numbers: [Int64]
}

private struct Pair: Codable, Equatable {
    var first: String
    var second: Int
}

/// Written by hand so the nested, super and second-container calls are exercised.
private struct Shapes: Codable, Equatable {
    var nested: Inner
    var empty: Empty
    var byNumber: [Int: String]
    var byName: [String: [Int]]
    var optionals: [Int?]
    var real: Double
    var small: Float
    var unsigned: UInt64
    var bytes: [UInt8]
    var tuple: Pair

    enum Keys: String, CodingKey { case nested, empty, byNumber, byName, optionals, real, small, unsigned, bytes, tuple, flag, numbers }

    init(nested: Inner, empty: Empty, byNumber: [Int: String], byName: [String: [Int]], optionals: [Int?], real: Double, small: Float, unsigned: UInt64, bytes: [UInt8], tuple: Pair) {
        (self.nested, self.empty, self.byNumber, self.byName, self.optionals) = (nested, empty, byNumber, byName, optionals)
        (self.real, self.small, self.unsigned, self.bytes, self.tuple) = (real, small, unsigned, bytes, tuple)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var nestedContainer = container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
        try nestedContainer.encode(nested.flag, forKey: .flag)
        var numbers = nestedContainer.nestedUnkeyedContainer(forKey: .numbers)
        for number in nested.numbers { try numbers.encode(number) }
        try empty.encode(to: container.superEncoder(forKey: .empty))
        // A second request for the same container continues it.
        var again = encoder.container(keyedBy: Keys.self)
        try again.encode(byNumber, forKey: .byNumber)
        try again.encode(byName, forKey: .byName)
        var optionalList = again.nestedUnkeyedContainer(forKey: .optionals)
        for item in optionals {
            if let item { try optionalList.encode(item) } else { try optionalList.encodeNil() }
        }
        try again.encode(real, forKey: .real)
        try again.encode(small, forKey: .small)
        try again.encode(unsigned, forKey: .unsigned)
        try again.encode(bytes, forKey: .bytes)
        var pair = again.nestedUnkeyedContainer(forKey: .tuple)
        var inPair = pair.nestedContainer(keyedBy: Keys.self)
        try inPair.encode(tuple.first, forKey: .flag)
        try pair.encode(tuple.second)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let nestedContainer = try container.nestedContainer(keyedBy: Keys.self, forKey: .nested)
        nested = Inner(flag: try nestedContainer.decode(Bool.self, forKey: .flag), numbers: try nestedContainer.decode([Int64].self, forKey: .numbers))
        empty = try Empty(from: container.superDecoder(forKey: .empty))
        byNumber = try container.decode([Int: String].self, forKey: .byNumber)
        byName = try container.decode([String: [Int]].self, forKey: .byName)
        optionals = try container.decode([Int?].self, forKey: .optionals)
        real = try container.decode(Double.self, forKey: .real)
        small = try container.decode(Float.self, forKey: .small)
        unsigned = try container.decode(UInt64.self, forKey: .unsigned)
        bytes = try container.decode([UInt8].self, forKey: .bytes)
        var pair = try container.nestedUnkeyedContainer(forKey: .tuple)
        let inPair = try pair.nestedContainer(keyedBy: Keys.self)
        tuple = Pair(first: try inPair.decode(String.self, forKey: .flag), second: try pair.decode(Int.self))
    }
}
