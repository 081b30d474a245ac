import InfraNet

/// An address assigned to a link (RTM_NEWADDR).
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public var linkIndex: Int32
    /// The local address with its prefix length, e.g. 10.244.1.7/32.
    public var cidr: CIDR
    /// rtm scope: 0 universe (global), 253 link, 254 host.
    public var scope: UInt8

    public init(linkIndex: Int32, cidr: CIDR, scope: UInt8 = 0) {
        self.linkIndex = linkIndex
        self.cidr = cidr
        self.scope = scope
    }

    public var description: String { "\(cidr) on #\(linkIndex)" }
}

extension IPAddress.Family {
    var netlinkFamily: UInt8 { self == .v4 ? AddressFamily.inet : AddressFamily.inet6 }
}

/// Addresses: add, delete, list (IPv4 and IPv6).
extension NetlinkSocket {
    /// Adds `cidr` to `link`. `noDAD` skips IPv6 duplicate address detection (the address is
    /// usable at once instead of "tentative"). `alreadyExists` if the link has it.
    public func addAddress(_ cidr: CIDR, to link: Link, noDAD: Bool = false) throws {
        try changeAddress(RTM.newAddr, flags: NL.create | NL.exclusive, cidr, link, noDAD: noDAD, "add address \(cidr) to \(link.name)")
    }

    /// Removes `cidr` from `link`. `notFound` if the link does not have it.
    public func deleteAddress(_ cidr: CIDR, from link: Link) throws {
        try changeAddress(RTM.delAddr, flags: 0, cidr, link, noDAD: false, "delete address \(cidr) from \(link.name)")
    }

    /// The addresses in this namespace, optionally only those of one link or family.
    public func addresses(of link: Link? = nil, family: IPAddress.Family? = nil) throws -> [Address] {
        var builder = MessageBuilder(type: RTM.getAddr, flags: NL.request | NL.dump)
        AddressHeader(family: family?.netlinkFamily ?? AddressFamily.unspec, prefixLength: 0, index: 0).encode(into: &builder)
        let what = "list addresses" + (link.map { " of \($0.name)" } ?? "")
        return try dump(builder, what).compactMap { message -> Address? in
            guard message.type == RTM.newAddr, let header = AddressHeader(message.payload) else { return nil }
            let attributes = Attributes(message.payload.dropFirst(AddressHeader.size))
            guard let raw = attributes[IFA.local] ?? attributes[IFA.address],
                  let ip = IPAddress(bytes: Array(raw)), let cidr = CIDR(address: ip, prefixLength: Int(header.prefixLength)) else { return nil }
            let address = Address(linkIndex: Int32(bitPattern: header.index), cidr: cidr, scope: header.scope)
            if let link, link.index != address.linkIndex { return nil }
            if let family, family != ip.family { return nil }
            return address
        }
    }

    private func changeAddress(_ type: UInt16, flags: UInt16, _ cidr: CIDR, _ link: Link, noDAD: Bool, _ what: String) throws {
        var builder = MessageBuilder(type: type, flags: NL.request | NL.ack | flags)
        var header = AddressHeader(family: cidr.address.family.netlinkFamily, prefixLength: UInt8(cidr.prefixLength),
                                   index: UInt32(bitPattern: link.index))
        if noDAD { header.flags = UInt8(IFA.flagNoDAD) }
        header.encode(into: &builder)
        builder.attribute(IFA.local, cidr.address.bytes)
        builder.attribute(IFA.address, cidr.address.bytes)
        if noDAD { builder.attribute(IFA.flags, integer: IFA.flagNoDAD) }
        try change(builder, what)
    }
}
