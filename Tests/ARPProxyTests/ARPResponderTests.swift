@testable import ARPProxy
import InfraNet
import XCTest

final class ARPResponderTests: XCTestCase {
    let ownMAC = MACAddress(bytes: Frames.proxyMAC)!
    lazy var responder = ARPResponder(ownMAC: ownMAC, gateways: [IPAddress("169.254.1.1")!, IPAddress("169.254.1.254")!])

    func testAnswersWhoHasForEachGatewayWithItsOwnMAC() throws {
        for (gateway, bytes) in [("169.254.1.1", Frames.gatewayIP), ("169.254.1.254", [169, 254, 1, 254])] {
            guard case .reply(let reply, let answered, let asker) = responder.decide(Frames.request(target: bytes)) else {
                return XCTFail("no reply for \(gateway)")
            }
            XCTAssertEqual(answered, IPAddress(gateway))
            XCTAssertEqual(asker, IPAddress("10.244.0.5"))
            XCTAssertEqual(reply.operation, .reply)
            XCTAssertEqual(reply.destination, MACAddress(bytes: Frames.podMAC))
            XCTAssertEqual(reply.source, ownMAC)
            XCTAssertEqual(reply.senderMAC, ownMAC)
            XCTAssertEqual(reply.senderIP, IPAddress(gateway))
            XCTAssertEqual(reply.targetMAC, MACAddress(bytes: Frames.podMAC))
            XCTAssertEqual(reply.targetIP, IPAddress("10.244.0.5"))
        }
    }

    func testAnswersAProbeFromTheUnspecifiedAddress() {
        // An RFC 5227 probe for the gateway: answering tells the prober the address is taken.
        guard case .reply(let reply, _, _) = responder.decide(Frames.request(senderIP: [0, 0, 0, 0])) else {
            return XCTFail("probe not answered")
        }
        XCTAssertEqual(reply.targetIP, IPAddress("0.0.0.0"))
        XCTAssertEqual(reply.destination, MACAddress(bytes: Frames.podMAC))
    }

    func testIgnoresOtherTargets() {
        XCTAssertEqual(responder.decide(Frames.request(target: [169, 254, 1, 2])), .ignored("who-has 169.254.1.2 is not a gateway address"))
        XCTAssertEqual(responder.decide(Frames.request(target: Frames.podIP)), .ignored("who-has 10.244.0.5 is not a gateway address"))
    }

    func testIgnoresRepliesAndAnnouncements() {
        guard case .ignored = responder.decide(Frames.request(op: [0, 2])) else { return XCTFail("reply answered") }
        guard case .ignored = responder.decide(Frames.request(senderIP: Frames.gatewayIP)) else {
            return XCTFail("someone else's announcement of the gateway answered")
        }
    }

    func testIgnoresItsOwnFrames() {
        guard case .ignored = responder.decide(Frames.request(senderMAC: Frames.proxyMAC)) else { return XCTFail("own frame answered") }
        guard case .ignored = responder.decide(Frames.request(ethernetSource: Frames.proxyMAC)) else { return XCTFail("own frame answered") }
    }

    func testIgnoresNonARPAndOtherARPFlavours() {
        for bytes in [Frames.request(etherType: [0x08, 0x00]), Frames.request(htype: [0, 6]), Frames.request(ptype: [0x86, 0xdd]), Frames.request(op: [0, 3])] {
            guard case .ignored = responder.decide(bytes) else { return XCTFail("answered \(bytes)") }
        }
    }

    func testMulticastOrZeroSendersAreMalformed() {
        let cases: [[UInt8]] = [
            Frames.request(senderMAC: [0x01, 0x00, 0x5e, 0, 0, 1]),
            Frames.request(senderMAC: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Frames.request(senderMAC: [0, 0, 0, 0, 0, 0]),
            Frames.request(ethernetSource: [0x33, 0x33, 0, 0, 0, 1]),
        ]
        for bytes in cases {
            guard case .malformed = responder.decide(bytes) else { return XCTFail("not malformed: \(bytes)") }
        }
    }

    func testTruncatedFramesAreMalformed() {
        for length in [0, 5, 13, 14, 20, 41] {
            let decision = responder.decide(Array(Frames.request().prefix(length)))
            if length < 14 {
                XCTAssertEqual(decision, .malformed("frame of \(length) bytes is shorter than an Ethernet header"))
            } else {
                XCTAssertEqual(decision, .malformed("ARP frame of \(length) bytes is shorter than 42"))
            }
        }
    }
}
