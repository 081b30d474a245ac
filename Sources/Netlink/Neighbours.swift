import InfraNet

/// Neighbours: add a permanent entry, delete, list.
extension NetlinkSocket {
    /// Adds a PERMANENT entry `address` → `macAddress` on `link`. With `replace` an existing
    /// entry for the address is overwritten; without it, `alreadyExists`.
    public func addNeighbour(_ address: IPAddress, macAddress: MACAddress, on link: Link, replace: Bool = false) throws {
        let flags = NL.create | (replace ? NL.replace : NL.exclusive)
        var builder = MessageBuilder(type: RTM.newNeigh, flags: NL.request | NL.ack | flags)
        var header = NeighbourHeader(family: address.family.netlinkFamily, index: link.index)
        header.state = NeighbourState.permanent.rawValue
        header.encode(into: &builder)
        builder.attribute(NDA.dst, address.bytes)
        builder.attribute(NDA.lladdr, macAddress.bytes)
        try change(builder, "\(replace ? "replace" : "add") neighbour \(address) lladdr \(macAddress) dev \(link.name)")
    }

    /// Deletes the entry for `address` on `link`. `notFound` if there is none.
    public func deleteNeighbour(_ address: IPAddress, on link: Link) throws {
        var builder = MessageBuilder(type: RTM.delNeigh, flags: NL.request | NL.ack)
        NeighbourHeader(family: address.family.netlinkFamily, index: link.index).encode(into: &builder)
        builder.attribute(NDA.dst, address.bytes)
        try change(builder, "delete neighbour \(address) dev \(link.name)")
    }

    /// The neighbour entries, optionally only those of one link or family.
    public func neighbours(of link: Link? = nil, family: IPAddress.Family? = nil) throws -> [Neighbour] {
        var builder = MessageBuilder(type: RTM.getNeigh, flags: NL.request | NL.dump)
        NeighbourHeader(family: family?.netlinkFamily ?? AddressFamily.unspec, index: 0).encode(into: &builder)
        let what = "list neighbours" + (link.map { " of \($0.name)" } ?? "")
        return try dump(builder, what).compactMap { message -> Neighbour? in
            guard message.type == RTM.newNeigh, let header = NeighbourHeader(message.payload) else { return nil }
            let attributes = Attributes(message.payload.dropFirst(NeighbourHeader.size))
            guard let raw = attributes[NDA.dst], let ip = IPAddress(bytes: Array(raw)) else { return nil }
            if let link, link.index != header.index { return nil }
            if let family, family != ip.family { return nil }
            return Neighbour(linkIndex: header.index, address: ip,
                             macAddress: attributes[NDA.lladdr].flatMap { MACAddress(bytes: Array($0)) },
                             state: NeighbourState(rawValue: header.state))
        }
    }
}
