import Glibc
import InfraNet

/// Links: find, create (veth), delete, move between namespaces, rename, MAC, MTU, up/down.
extension NetlinkSocket {
    /// Every link in this socket's namespace.
    public func links() throws -> [Link] {
        var builder = MessageBuilder(type: RTM.getLink, flags: NL.request | NL.dump)
        InterfaceHeader().encode(into: &builder)
        return try dump(builder, "list links").compactMap { message in
            message.type == RTM.newLink ? Link(payload: message.payload) : nil
        }
    }

    /// The link called `name`; `notFound` if there is none.
    public func link(named name: String) throws -> Link {
        try checkName(name, "find link \(name)")
        var builder = MessageBuilder(type: RTM.getLink, flags: NL.request)
        InterfaceHeader().encode(into: &builder)
        builder.attribute(IFLA.ifname, string: name)
        return try parseLink(get(builder, "find link \(name)"), "find link \(name)")
    }

    /// The link with interface index `index`; `notFound` if there is none.
    public func link(index: Int32) throws -> Link {
        var builder = MessageBuilder(type: RTM.getLink, flags: NL.request)
        InterfaceHeader(index: index).encode(into: &builder)
        return try parseLink(get(builder, "find link #\(index)"), "find link #\(index)")
    }

    /// Creates a veth pair `name` ↔ `peerName`. With `peerNamespace` the peer is created
    /// directly inside that namespace. Both ends start down. `alreadyExists` if a name is taken.
    public func createVethPair(name: String, peerName: String, peerNamespace: NetworkNamespace? = nil, mtu: Int? = nil) throws {
        let what = "create veth pair \(name)/\(peerName)" + (peerNamespace.map { " (peer in \($0))" } ?? "")
        try checkName(name, what)
        try checkName(peerName, what)
        let peerFD = try peerNamespace.map { try $0.open(for: what) }
        defer { if let peerFD { close(peerFD) } }
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack | NL.create | NL.exclusive)
        InterfaceHeader().encode(into: &builder)
        builder.attribute(IFLA.ifname, string: name)
        if let mtu { builder.attribute(IFLA.mtu, integer: UInt32(mtu)) }
        builder.nested(IFLA.linkinfo) { info in
            info.attribute(IFLA.infoKind, string: "veth")
            info.nested(IFLA.infoData) { data in
                data.nested(IFLA.vethPeer) { peer in
                    InterfaceHeader().encode(into: &peer)
                    peer.attribute(IFLA.ifname, string: peerName)
                    if let mtu { peer.attribute(IFLA.mtu, integer: UInt32(mtu)) }
                    if let peerFD { peer.attribute(IFLA.netnsFD, integer: UInt32(bitPattern: peerFD)) }
                }
            }
        }
        try change(builder, what)
    }

    /// Deletes a link (for a veth, both ends go). `notFound` if it is already gone.
    public func deleteLink(_ link: Link) throws {
        var builder = MessageBuilder(type: RTM.delLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: link.index).encode(into: &builder)
        try change(builder, "delete link \(link.name)")
    }

    /// Deletes the link called `name`. `notFound` if there is none.
    public func deleteLink(named name: String) throws {
        try checkName(name, "delete link \(name)")
        var builder = MessageBuilder(type: RTM.delLink, flags: NL.request | NL.ack)
        InterfaceHeader().encode(into: &builder)
        builder.attribute(IFLA.ifname, string: name)
        try change(builder, "delete link \(name)")
    }

    /// Moves a link into another network namespace (IFLA_NET_NS_FD). It keeps its name; its
    /// index may change, so look it up by name there. The kernel takes the link down.
    public func moveLink(_ link: Link, to namespace: NetworkNamespace) throws {
        let what = "move link \(link.name) to \(namespace)"
        let fd = try namespace.open(for: what)
        defer { close(fd) }
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: link.index).encode(into: &builder)
        builder.attribute(IFLA.netnsFD, integer: UInt32(bitPattern: fd))
        try change(builder, what)
    }

    /// Renames a link (it must be down) and returns it with the new name.
    @discardableResult
    public func renameLink(_ link: Link, to name: String) throws -> Link {
        let what = "rename link \(link.name) to \(name)"
        try checkName(name, what)
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: link.index).encode(into: &builder)
        builder.attribute(IFLA.ifname, string: name)
        try change(builder, what)
        var renamed = link
        renamed.name = name
        return renamed
    }

    /// Sets the link's hardware address.
    public func setMACAddress(_ address: MACAddress, of link: Link) throws {
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: link.index).encode(into: &builder)
        builder.attribute(IFLA.address, address.bytes)
        try change(builder, "set MAC address of \(link.name) to \(address)")
    }

    /// Sets the link's MTU.
    public func setMTU(_ mtu: Int, of link: Link) throws {
        let what = "set MTU of \(link.name) to \(mtu)"
        guard let value = UInt32(exactly: mtu) else { throw NetlinkError(.invalidArgument, "\(what)\(location): not a valid MTU") }
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        InterfaceHeader(index: link.index).encode(into: &builder)
        builder.attribute(IFLA.mtu, integer: value)
        try change(builder, what)
    }

    /// Sets the link administratively up or down (IFF_UP only; other flags are untouched).
    public func setLink(_ link: Link, up: Bool) throws {
        var builder = MessageBuilder(type: RTM.newLink, flags: NL.request | NL.ack)
        let upFlag = LinkFlags.up.rawValue
        InterfaceHeader(index: link.index, flags: up ? upFlag : 0, change: upFlag).encode(into: &builder)
        try change(builder, "set link \(link.name) \(up ? "up" : "down")")
    }

    private func parseLink(_ message: ReceivedMessage, _ what: String) throws -> Link {
        guard message.type == RTM.newLink, let link = Link(payload: message.payload) else {
            throw NetlinkError(.malformedReply, "\(what)\(location): unexpected reply (message type \(message.type))")
        }
        return link
    }

    /// IFNAMSIZ is 16 with the NUL; the kernel also refuses "/", ":" and whitespace.
    private func checkName(_ name: String, _ what: String) throws {
        let bytes = Array(name.utf8)
        guard (1...15).contains(bytes.count), name != ".", name != "..",
              !bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 }) else {
            throw NetlinkError(.invalidArgument, "\(what)\(location): \"\(name)\" is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)")
        }
    }
}
