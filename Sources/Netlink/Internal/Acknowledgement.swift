/// What an NLMSG_ERROR message says: 0 is the ACK, a negative number is -errno. With
/// NETLINK_EXT_ACK the kernel may append a human-readable reason (NLMSGERR_ATTR_MSG).
struct Acknowledgement {
    /// Positive errno, or 0 for success.
    var errno: Int32
    var kernelMessage: String?

    init?(_ message: ReceivedMessage) {
        let reader = ByteReader(message.payload)
        guard message.type == NL.msgError, let error = reader.integer(Int32.self, at: 0) else { return nil }
        errno = error == Int32.min ? Int32.max : -error
        guard message.flags & NL.ackTLVs != 0 else { return }
        // After the error code comes the request's nlmsghdr, plus its payload unless capped.
        var offset = 4 + NL.headerSize
        if message.flags & NL.capped == 0, let requestLength = reader.integer(UInt32.self, at: 4) {
            offset = 4 + ((Int(requestLength) + 3) & ~3)
        }
        guard offset <= message.payload.count else { return }
        let tlvs = message.payload.dropFirst(offset)
        kernelMessage = Attributes(tlvs).string(NL.errorAttributeMessage)
    }
}
