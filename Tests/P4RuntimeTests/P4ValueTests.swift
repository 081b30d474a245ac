import Foundation
import P4Info
import XCTest

/// §8.3: senders use the shortest string holding the value; zero is one 0x00 byte, never empty.
final class P4ValueTests: XCTestCase {
    func testCanonicalEncoding() throws {
        XCTAssertEqual(try P4Value(0 as UInt).encoded(bitwidth: 8), Data([0x00]))
        XCTAssertEqual(try P4Value(0 as UInt).encoded(bitwidth: 128), Data([0x00]))
        XCTAssertEqual(try P4Value(99 as UInt).encoded(bitwidth: 8), Data([0x63]))
        XCTAssertEqual(try P4Value(0x3064 as UInt).encoded(bitwidth: 16), Data([0x30, 0x64]))
        XCTAssertEqual(try P4Value(1 as UInt).encoded(bitwidth: 48), Data([0x01]))
        XCTAssertEqual(try P4Value(bytes: [0x00, 0x00, 0x63]).encoded(bitwidth: 12), Data([0x63]), "leading zeros stripped")
        XCTAssertEqual(try P4Value(bytes: []).encoded(bitwidth: 1), Data([0x00]), "empty input is zero, sent as 0x00")
    }

    func testFullWidthEncoding() throws {
        XCTAssertEqual(try P4Value(5 as UInt).encoded(bitwidth: 9, style: .fullWidth), Data([0x00, 0x05]))
        XCTAssertEqual(try P4Value(0 as UInt).encoded(bitwidth: 32, style: .fullWidth), Data([0, 0, 0, 0]))
        XCTAssertEqual(try P4Value(bytes: [0x0a, 0, 0, 1]).encoded(bitwidth: 32, style: .fullWidth), Data([0x0a, 0, 0, 1]))
    }

    func testBitwidthChecks() throws {
        XCTAssertNoThrow(try P4Value(511 as UInt).encoded(bitwidth: 9))
        XCTAssertThrowsError(try P4Value(512 as UInt).encoded(bitwidth: 9, for: "port")) { error in
            let error = error as! P4InfoError
            XCTAssertEqual(error.code, .valueOutOfRange)
            XCTAssertTrue(error.message.contains("port"), error.message)
            XCTAssertTrue(error.message.contains("bit<9>"), error.message)
        }
        // bit<12>: 0x1063 needs 13 bits even though it is two bytes.
        XCTAssertThrowsError(try P4Value(bytes: [0x10, 0x63]).encoded(bitwidth: 12))
        XCTAssertThrowsError(try P4Value(1 as UInt).encoded(bitwidth: 0))
        XCTAssertNoThrow(try P4Value(1 as UInt).encoded(bitwidth: 1))
        let ipv6 = P4Value(bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        XCTAssertEqual(ipv6.bitLength, 126)
        XCTAssertEqual(try ipv6.encoded(bitwidth: 128).count, 16)
    }

    func testValueArithmeticHelpers() {
        XCTAssertEqual(P4Value.allOnes(bitwidth: 9), P4Value(511 as UInt))
        XCTAssertEqual(P4Value.allOnes(bitwidth: 16), P4Value(0xffff as UInt))
        XCTAssertEqual(P4Value(0x0a0b0c0d as UInt).maskedToPrefix(16, bitwidth: 32), P4Value(0x0a0b0000 as UInt))
        XCTAssertEqual(P4Value(0x0a0b0c0d as UInt).maskedToPrefix(20, bitwidth: 32), P4Value(0x0a0b0000 as UInt))
        XCTAssertEqual(P4Value(0x1ff as UInt).maskedToPrefix(1, bitwidth: 9), P4Value(0x100 as UInt))
        XCTAssertEqual(P4Value(0xf0f0 as UInt) & P4Value(0xff as UInt), P4Value(0xf0 as UInt))
        XCTAssertLessThan(P4Value(0xff as UInt), P4Value(0x100 as UInt))
        XCTAssertEqual(P4Value(bytes: [0, 0xab]).uint64, 0xab)
    }
}
