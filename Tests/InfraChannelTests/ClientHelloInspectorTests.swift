@testable import InfraChannel
import XCTest

final class ClientHelloInspectorTests: XCTestCase {
    /// Builds a ClientHello record; `versions` nil leaves out supported_versions entirely.
    func hello(versions: [UInt16]?, extraExtension: Bool = true) -> [UInt8] {
        var extensions: [UInt8] = []
        if extraExtension {
            // server_name with an empty body: an unrelated extension before the one we want.
            extensions += [0x00, 0x00, 0x00, 0x00]
        }
        if let versions {
            let list = versions.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            extensions += [0x00, 0x2b, 0x00, UInt8(list.count + 1), UInt8(list.count)] + list
        }
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32)
        body += [0x00]                                 // session id
        body += [0x00, 0x02, 0x13, 0x01]               // one cipher suite
        body += [0x01, 0x00]                           // null compression
        body += [UInt8(extensions.count >> 8), UInt8(extensions.count & 0xFF)] + extensions
        let handshake: [UInt8] = [0x01, 0x00, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 0x03, 0x01, UInt8(handshake.count >> 8), UInt8(handshake.count & 0xFF)] + handshake
    }

    func testOffersTLS13() {
        XCTAssertEqual(ClientHelloInspector.inspect(hello(versions: [0x0304, 0x0303])), .offersTLS13)
        XCTAssertEqual(ClientHelloInspector.inspect(hello(versions: [0x0303, 0x0304], extraExtension: false)), .offersTLS13)
    }

    func testTLS12OnlyIsRefused() {
        XCTAssertEqual(ClientHelloInspector.inspect(hello(versions: [0x0303])), .lacksTLS13)
        XCTAssertEqual(ClientHelloInspector.inspect(hello(versions: nil)), .lacksTLS13)
    }

    func testPartialInputAsksForMore() {
        let full = hello(versions: [0x0304])
        for cut in [1, 4, 5, 9, full.count - 1] {
            XCTAssertEqual(ClientHelloInspector.inspect(Array(full.prefix(cut))), .incomplete, "cut at \(cut)")
        }
    }

    func testHelloSplitAcrossRecords() {
        let full = hello(versions: [0x0304])
        let handshake = Array(full.dropFirst(5))
        let first = Array(handshake.prefix(20)), second = Array(handshake.dropFirst(20))
        let records = [0x16, 0x03, 0x01, 0x00, UInt8(first.count)] + first
            + [0x16, 0x03, 0x01, UInt8(second.count >> 8), UInt8(second.count & 0xFF)] + second
        XCTAssertEqual(ClientHelloInspector.inspect(records), .offersTLS13)
    }

    func testNonTLSIsRecognised() {
        XCTAssertEqual(ClientHelloInspector.inspect(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)), .notTLS)
        XCTAssertEqual(ClientHelloInspector.inspect([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), .notTLS)
    }

    func testMalformedLengthsNeverTrap() {
        var bytes = hello(versions: [0x0304])
        // Claim an extensions block longer than the message.
        bytes[bytes.count - 12] = 0xFF
        _ = ClientHelloInspector.inspect(bytes)
        for seed in 0..<200 {
            var generator = SeededGenerator(seed: UInt64(seed))
            var fuzzed = hello(versions: [0x0304])
            for _ in 0..<4 {
                let index = Int.random(in: 5..<fuzzed.count, using: &generator)
                fuzzed[index] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = ClientHelloInspector.inspect(fuzzed)
        }
    }
}

/// A small deterministic generator so that the fuzz loop is repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 33)
    }
}
