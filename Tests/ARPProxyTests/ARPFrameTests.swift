@testable import ARPProxy
import InfraNet
import XCTest

/// Frame bytes written out by hand from RFC 826's layout, so the parser and builder are checked
/// against the wire format rather than against each other.
enum Frames {
    static let podMAC: [UInt8] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a]
    static let proxyMAC: [UInt8] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b]
    static let podIP: [UInt8] = [10, 244, 0, 5]
    static let gatewayIP: [UInt8] = [169, 254, 1, 1]

    /// A broadcast who-has `target` tell `senderIP`, with every header field overridable.
    static func request(
        target: [UInt8] = gatewayIP,
        senderIP: [UInt8] = podIP,
        senderMAC: [UInt8] = podMAC,
        ethernetSource: [UInt8]? = nil,
        etherType: [UInt8] = [0x08, 0x06],
        htype: [UInt8] = [0x00, 0x01],
        ptype: [UInt8] = [0x08, 0x00],
        hlen: UInt8 = 6,
        plen: UInt8 = 4,
        op: [UInt8] = [0x00, 0x01]
    ) -> [UInt8] {
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + (ethernetSource ?? senderMAC) + etherType
            + htype + ptype + [hlen, plen] + op + senderMAC + senderIP + [0, 0, 0, 0, 0, 0] + target
    }
}

final class ARPFrameTests: XCTestCase {
    func testParsesAWhoHasRequest() throws {
        let frame = try ARPFrame.parse(Frames.request()).get()
        XCTAssertEqual(frame.operation, .request)
        XCTAssertEqual(frame.destination, MACAddress("ff:ff:ff:ff:ff:ff"))
        XCTAssertEqual(frame.source, MACAddress("02:00:5e:10:00:0a"))
        XCTAssertEqual(frame.senderMAC, MACAddress("02:00:5e:10:00:0a"))
        XCTAssertEqual(frame.senderIP, IPAddress("10.244.0.5"))
        XCTAssertEqual(frame.targetMAC, MACAddress("00:00:00:00:00:00"))
        XCTAssertEqual(frame.targetIP, IPAddress("169.254.1.1"))
    }

    func testPaddingAfterThePayloadIsAccepted() throws {
        let padded = Frames.request() + [UInt8](repeating: 0xee, count: 18)
        XCTAssertEqual(try ARPFrame.parse(padded).get(), try ARPFrame.parse(Frames.request()).get())
    }

    func testReplyBytesAreExactlyRFC826() throws {
        let request = try ARPFrame.parse(Frames.request()).get()
        let reply = ARPFrame.reply(to: request, ownMAC: MACAddress(bytes: Frames.proxyMAC)!)
        let expected: [UInt8] = Frames.podMAC + Frames.proxyMAC + [0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02]
            + Frames.proxyMAC + Frames.gatewayIP + Frames.podMAC + Frames.podIP
        XCTAssertEqual(reply.bytes, expected + [UInt8](repeating: 0, count: 60 - expected.count))
    }

    func testAnnouncementIsABroadcastRequestForItsOwnAddress() throws {
        let frame = ARPFrame.announcement(of: IPAddress("169.254.1.1")!, ownMAC: MACAddress(bytes: Frames.proxyMAC)!)
        let expected: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + Frames.proxyMAC
            + [0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
            + Frames.proxyMAC + Frames.gatewayIP + [0, 0, 0, 0, 0, 0] + Frames.gatewayIP
        XCTAssertEqual(Array(frame.bytes.prefix(42)), expected)
        XCTAssertEqual(frame.bytes.count, 60)
        XCTAssertEqual(try ARPFrame.parse(frame.bytes).get(), frame)
    }

    func testRejectsFramesShorterThanAnEthernetHeader() {
        for length in 0..<14 {
            XCTAssertEqual(ARPFrame.parse(Array(Frames.request().prefix(length))), .failure(.truncatedEthernetHeader(length: length)))
        }
    }

    func testRejectsTruncatedARPAtEveryLength() {
        for length in 14..<42 {
            let result = ARPFrame.parse(Array(Frames.request().prefix(length)))
            XCTAssertEqual(result, .failure(.truncatedARP(length: length)), "length \(length)")
            if case .failure(let rejection) = result { XCTAssertTrue(rejection.isMalformed) }
        }
    }

    func testRejectsOtherEtherTypesIncludingVLANTags() {
        XCTAssertEqual(ARPFrame.parse(Frames.request(etherType: [0x08, 0x00])), .failure(.notARP(etherType: 0x0800)))
        XCTAssertEqual(ARPFrame.parse(Frames.request(etherType: [0x81, 0x00])), .failure(.notARP(etherType: 0x8100)))
        XCTAssertEqual(ARPFrame.parse(Frames.request(etherType: [0x80, 0x35])), .failure(.notARP(etherType: 0x8035)))
    }

    func testRejectsARPForOtherHardwareAndProtocols() {
        let cases: [([UInt8], ARPFrame.Rejection)] = [
            (Frames.request(htype: [0x00, 0x06]), .unsupportedARP(hardwareType: 6, protocolType: 0x0800, hardwareLength: 6, protocolLength: 4)),
            (Frames.request(ptype: [0x86, 0xdd]), .unsupportedARP(hardwareType: 1, protocolType: 0x86dd, hardwareLength: 6, protocolLength: 4)),
            (Frames.request(hlen: 8), .unsupportedARP(hardwareType: 1, protocolType: 0x0800, hardwareLength: 8, protocolLength: 4)),
            (Frames.request(plen: 16), .unsupportedARP(hardwareType: 1, protocolType: 0x0800, hardwareLength: 6, protocolLength: 16)),
        ]
        for (bytes, rejection) in cases {
            XCTAssertEqual(ARPFrame.parse(bytes), .failure(rejection))
            XCTAssertFalse(rejection.isMalformed)
        }
    }

    func testRejectsUnknownOperations() {
        for op: UInt16 in [0, 3, 4, 8, 9, 0xffff] {
            XCTAssertEqual(ARPFrame.parse(Frames.request(op: [UInt8(op >> 8), UInt8(op & 0xff)])), .failure(.unknownOperation(op)))
        }
    }

    /// Arbitrary bytes (with and without the ARP ethertype) never trap and, when accepted,
    /// rebuild to the same first 42 bytes.
    func testArbitraryBytesNeverTrap() {
        var generator = SplitMix(seed: 0x5eed)
        for round in 0..<5000 {
            var bytes = (0..<Int(generator.next() % 90)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0, bytes.count >= 22 {
                bytes.replaceSubrange(12..<22, with: [0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, UInt8(1 + round % 3)])
            }
            if case .success(let frame) = ARPFrame.parse(bytes) {
                XCTAssertEqual(Array(frame.bytes.prefix(42)), Array(bytes.prefix(42)))
            }
        }
    }

    func testRejectionDescriptionsNameTheProblem() {
        XCTAssertEqual(ARPFrame.Rejection.notARP(etherType: 0x0800).description, "ethertype 0x0800 is not ARP")
        XCTAssertEqual(ARPFrame.Rejection.truncatedARP(length: 30).description, "ARP frame of 30 bytes is shorter than 42")
    }
}

/// A small deterministic generator (SplitMix64), so the arbitrary-bytes test is repeatable.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
