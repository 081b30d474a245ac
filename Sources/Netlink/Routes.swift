import InfraNet

/// Routes: add, delete, list.
extension NetlinkSocket {
    static let onLinkFlag: UInt32 = 4            // RTNH_F_ONLINK
    static let clonedFlag: UInt32 = 0x200        // RTM_F_CLONED (IPv6 cache entries)
    static let unicastType: UInt8 = 1            // RTN_UNICAST

    /// Adds a route (NLM_F_EXCL: `alreadyExists` if the same route is there).
    public func addRoute(_ route: Route) throws {
        try changeRoute(RTM.newRoute, flags: NL.create | NL.exclusive, route, "add route")
    }

    /// Adds a route or replaces the one with the same destination, table and metric.
    public func replaceRoute(_ route: Route) throws {
        try changeRoute(RTM.newRoute, flags: NL.create | NL.replace, route, "replace route")
    }

    /// Deletes a route. `notFound` if no such route exists.
    public func deleteRoute(_ route: Route) throws {
        try changeRoute(RTM.delRoute, flags: 0, route, "delete route")
    }

    /// The unicast routes of one family in one table (main by default), without cache clones.
    public func routes(family: IPAddress.Family = .v4, table: UInt32 = Route.mainTable) throws -> [Route] {
        var builder = MessageBuilder(type: RTM.getRoute, flags: NL.request | NL.dump)
        RouteHeader(family: family.netlinkFamily).encode(into: &builder)
        return try dump(builder, "list routes").compactMap { message -> Route? in
            guard message.type == RTM.newRoute, let header = RouteHeader(message.payload),
                  header.family == family.netlinkFamily, header.type == Self.unicastType,
                  header.flags & Self.clonedFlag == 0 else { return nil }
            let attributes = Attributes(message.payload.dropFirst(RouteHeader.size))
            let routeTable = attributes.uint32(RTA.table) ?? UInt32(header.table)
            guard routeTable == table else { return nil }
            let zero = [UInt8](repeating: 0, count: family == .v4 ? 4 : 16)
            let destinationBytes = attributes[RTA.dst].map(Array.init) ?? zero
            guard let destinationIP = IPAddress(bytes: destinationBytes),
                  let destination = CIDR(address: destinationIP, prefixLength: Int(header.destinationLength)) else { return nil }
            var route = Route(destination: destination,
                              gateway: attributes[RTA.gateway].flatMap { IPAddress(bytes: Array($0)) },
                              linkIndex: attributes.uint32(RTA.oif).map { Int32(bitPattern: $0) },
                              onLink: header.flags & Self.onLinkFlag != 0,
                              scope: RouteScope(rawValue: header.scope),
                              metric: attributes.uint32(RTA.priority),
                              preferredSource: attributes[RTA.prefsrc].flatMap { IPAddress(bytes: Array($0)) },
                              table: routeTable)
            route.protocolID = header.protocolID
            return route
        }
    }

    private func changeRoute(_ type: UInt16, flags: UInt16, _ route: Route, _ verb: String) throws {
        let family = route.destination.address.family
        if let gateway = route.gateway, gateway.family != family {
            throw NetlinkError(.invalidArgument, "\(verb) \(route)\(location): gateway and destination are of different families")
        }
        var builder = MessageBuilder(type: type, flags: NL.request | NL.ack | flags)
        var header = RouteHeader(family: family.netlinkFamily)
        header.destinationLength = UInt8(route.destination.prefixLength)
        header.table = route.table < 256 ? UInt8(route.table) : 0   // RT_TABLE_UNSPEC: see RTA_TABLE
        header.protocolID = route.protocolID
        header.scope = route.scope.rawValue
        header.type = Self.unicastType
        header.flags = route.onLink ? Self.onLinkFlag : 0
        header.encode(into: &builder)
        builder.attribute(RTA.table, integer: route.table)
        if route.destination.prefixLength > 0 { builder.attribute(RTA.dst, route.destination.network.bytes) }
        if let gateway = route.gateway { builder.attribute(RTA.gateway, gateway.bytes) }
        if let linkIndex = route.linkIndex { builder.attribute(RTA.oif, integer: linkIndex) }
        if let metric = route.metric { builder.attribute(RTA.priority, integer: metric) }
        if let source = route.preferredSource { builder.attribute(RTA.prefsrc, source.bytes) }
        try change(builder, "\(verb) \(self.describe(route))")
    }

    /// The route in `ip route` words with the link's name looked up; evaluated only when an
    /// error message needs it, so a successful change costs one round trip.
    private func describe(_ route: Route) -> String {
        route.text(linkName: route.linkIndex.flatMap { try? link(index: $0).name })
    }
}
