import InfraNet

/// A route in a routing table (RTM_NEWROUTE).
public struct Route: Hashable, Sendable, CustomStringConvertible {
    /// 0.0.0.0/0 (or ::/0) for the default route.
    public var destination: CIDR
    public var gateway: IPAddress?
    /// The output interface (RTA_OIF).
    public var linkIndex: Int32?
    /// RTNH_F_ONLINK: the gateway is reachable on the link even though no address of the
    /// link covers it (how pods reach 169.254.1.1).
    public var onLink: Bool
    public var scope: RouteScope
    /// RTA_PRIORITY, the metric.
    public var metric: UInt32?
    /// RTA_PREFSRC, the source address for locally originated packets.
    public var preferredSource: IPAddress?
    /// 254 is the main table.
    public var table: UInt32
    /// rtm_protocol: who installed it (2 kernel, 3 boot, 4 static). Routes added here are static.
    public var protocolID: UInt8

    public static let mainTable: UInt32 = 254
    public static let staticProtocol: UInt8 = 4

    /// A route in the main table; the scope is `link` without a gateway, `universe` with one.
    public init(destination: CIDR, gateway: IPAddress? = nil, linkIndex: Int32? = nil, onLink: Bool = false,
                scope: RouteScope? = nil, metric: UInt32? = nil, preferredSource: IPAddress? = nil, table: UInt32 = Route.mainTable) {
        self.destination = destination
        self.gateway = gateway
        self.linkIndex = linkIndex
        self.onLink = onLink
        self.scope = scope ?? (gateway == nil ? .link : .universe)
        self.metric = metric
        self.preferredSource = preferredSource
        self.table = table
        self.protocolID = Route.staticProtocol
    }

    /// The default route via `gateway` out of `link`, on-link (the pod's route to 169.254.1.1).
    public static func defaultRoute(via gateway: IPAddress, link: Link, onLink: Bool = true) -> Route {
        let any = CIDR(address: IPAddress(bytes: [UInt8](repeating: 0, count: gateway.bytes.count))!, prefixLength: 0)!
        return Route(destination: any, gateway: gateway, linkIndex: link.index, onLink: onLink)
    }

    public var isDefault: Bool { destination.prefixLength == 0 }

    /// In `ip route` words: "default via 169.254.1.1 dev #2 onlink".
    public var description: String { text(linkName: nil) }

    /// The description with the output link named (for error messages).
    func text(linkName: String?) -> String {
        var text = isDefault ? "default" : "\(destination)"
        if let gateway { text += " via \(gateway)" }
        if let linkName { text += " dev \(linkName)" } else if let linkIndex { text += " dev #\(linkIndex)" }
        if onLink { text += " onlink" }
        if let metric { text += " metric \(metric)" }
        if table != Route.mainTable { text += " table \(table)" }
        return text
    }
}

/// rtm_scope: how far the destination is.
public struct RouteScope: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = RouteScope(rawValue: 0)
    public static let site = RouteScope(rawValue: 200)
    public static let link = RouteScope(rawValue: 253)
    public static let host = RouteScope(rawValue: 254)
}
