@testable import Netlink
import XCTest

/// The wire format without a kernel: alignment, nesting, replies, extended acks.
final class MessageCodingTests: XCTestCase {
    func testAttributesArePaddedToFourBytesAndLengthIsPatched() {
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: 7).encode(into: &builder)
        builder.attribute(IFLA.ifname, string: "eth0")       // 4 + 5 bytes → 12
        builder.attribute(IFLA.mtu, integer: UInt32(1500))    // 8
        let bytes = builder.finish(sequence: 42)
        XCTAssertEqual(bytes.count, 16 + 16 + 12 + 8)
        XCTAssertEqual(ByteReader(bytes[...]).integer(UInt32.self, at: 0), UInt32(bytes.count))
        XCTAssertEqual(ByteReader(bytes[...]).integer(UInt32.self, at: 8), 42)
        XCTAssertEqual(ByteReader(bytes[...]).integer(UInt16.self, at: 32), 9)   // rta_len excludes padding
        let attributes = Attributes(bytes[(16 + 16)...])
        XCTAssertEqual(attributes.string(IFLA.ifname), "eth0")
        XCTAssertEqual(attributes.uint32(IFLA.mtu), 1500)
    }

    func testNestedAttributesCarryTheNestedFlagAndTheirLength() {
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request)
        builder.nested(IFLA.linkinfo) { info in info.attribute(IFLA.infoKind, string: "veth") }
        let bytes = builder.finish(sequence: 1)
        let reader = ByteReader(bytes[...])
        XCTAssertEqual(reader.integer(UInt16.self, at: 16), 4 + 12)
        XCTAssertEqual(reader.integer(UInt16.self, at: 18), IFLA.linkinfo | NL.nested)
        XCTAssertEqual(Attributes(bytes[16...]).nested(IFLA.linkinfo)?.string(IFLA.infoKind), "veth")
    }

    func testErrorReplyWithExtendedAckMessage() {
        // NLMSG_ERROR, capped, with TLVs: error -17, the request header, then NLMSGERR_ATTR_MSG.
        var reply = MessageBuilder(type: NL.msgError, flags: NL.capped | NL.ackTLVs)
        reply.append(Int32(-17))
        reply.append([UInt8](repeating: 0, count: 16))
        reply.attribute(NL.errorAttributeMessage, string: "Address already assigned")
        let messages = ReceivedMessage.split(reply.finish(sequence: 5)[...])
        XCTAssertEqual(messages.count, 1)
        let ack = Acknowledgement(messages[0])
        XCTAssertEqual(ack?.errno, 17)
        XCTAssertEqual(ack?.kernelMessage, "Address already assigned")
        let error = NetlinkError(errno: 17, "add address 10.0.0.2/24 to eth0", kernelMessage: ack?.kernelMessage)
        XCTAssertEqual(error.message, "add address 10.0.0.2/24 to eth0: File exists (Address already assigned)")
        XCTAssertEqual(error.code, .alreadyExists)
    }

    func testDatagramWithSeveralMessagesAndATruncatedTail() {
        let first = MessageBuilder(type: RTM.newLink, flags: NL.multi).finish(sequence: 1)
        let done = MessageBuilder(type: NL.msgDone, flags: NL.multi).finish(sequence: 1)
        let datagram = first + done + [0x40, 0, 0]   // a stray partial header is ignored
        let messages = ReceivedMessage.split(datagram[...])
        XCTAssertEqual(messages.map(\.type), [RTM.newLink, NL.msgDone])
    }

    func testTruncatedAttributeStopsTheWalk() {
        // rta_len says 8 but only 6 bytes follow.
        let bytes: [UInt8] = [8, 0, 3, 0, 0x65, 0x74]
        XCTAssertNil(Attributes(bytes[...]).string(IFLA.ifname))
    }
}
