// Numbers from the Linux uapi headers (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h,
// neighbour.h, veth.h). They are ABI: the kernel never renumbers them.

enum NL {
    // Socket
    static let protocolRoute: Int32 = 0          // NETLINK_ROUTE
    static let solNetlink: Int32 = 270           // SOL_NETLINK
    static let optionCapAck: Int32 = 10          // NETLINK_CAP_ACK
    static let optionExtAck: Int32 = 11          // NETLINK_EXT_ACK

    // nlmsghdr types
    static let msgError: UInt16 = 2              // NLMSG_ERROR
    static let msgDone: UInt16 = 3               // NLMSG_DONE

    // nlmsghdr flags
    static let request: UInt16 = 0x1             // NLM_F_REQUEST
    static let multi: UInt16 = 0x2               // NLM_F_MULTI
    static let ack: UInt16 = 0x4                 // NLM_F_ACK
    static let dumpInterrupted: UInt16 = 0x10    // NLM_F_DUMP_INTR
    static let dump: UInt16 = 0x300              // NLM_F_ROOT | NLM_F_MATCH
    static let replace: UInt16 = 0x100           // NLM_F_REPLACE
    static let exclusive: UInt16 = 0x200         // NLM_F_EXCL
    static let create: UInt16 = 0x400            // NLM_F_CREATE
    static let ackTLVs: UInt16 = 0x200           // NLM_F_ACK_TLVS (on an NLMSG_ERROR)
    static let capped: UInt16 = 0x100            // NLM_F_CAPPED (on an NLMSG_ERROR)
    static let errorAttributeMessage: UInt16 = 1 // NLMSGERR_ATTR_MSG

    static let headerSize = 16                   // sizeof(struct nlmsghdr)
    static let attributeHeaderSize = 4           // sizeof(struct rtattr)
    static let attributeTypeMask: UInt16 = 0x3FFF // strips NLA_F_NESTED / NLA_F_NET_BYTEORDER
    static let nested: UInt16 = 0x8000           // NLA_F_NESTED
}

enum RTM {
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    static let newNeigh: UInt16 = 28, delNeigh: UInt16 = 29, getNeigh: UInt16 = 30
}

enum IFLA {
    static let address: UInt16 = 1, ifname: UInt16 = 3, mtu: UInt16 = 4, link: UInt16 = 5
    static let operstate: UInt16 = 16, linkinfo: UInt16 = 18, netnsPID: UInt16 = 19, netnsFD: UInt16 = 28
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2  // inside IFLA_LINKINFO
    static let vethPeer: UInt16 = 1                         // VETH_INFO_PEER inside IFLA_INFO_DATA
}

enum IFA {
    static let address: UInt16 = 1, local: UInt16 = 2, flags: UInt16 = 8
    static let flagNoDAD: UInt32 = 0x02                     // IFA_F_NODAD
}

enum RTA {
    static let dst: UInt16 = 1, oif: UInt16 = 4, gateway: UInt16 = 5, priority: UInt16 = 6
    static let prefsrc: UInt16 = 7, table: UInt16 = 15
}

enum NDA {
    static let dst: UInt16 = 1, lladdr: UInt16 = 2
}

enum AddressFamily {
    static let unspec: UInt8 = 0, inet: UInt8 = 2, inet6: UInt8 = 10
}
