import InfraNet

/// DNS settings (`dns` in a config or a result).
public struct DNS: Sendable, Hashable {
    public var nameservers: [String] = []
    public var domain: String?
    public var search: [String] = []
    public var options: [String] = []

    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    public var isEmpty: Bool { nameservers.isEmpty && domain == nil && search.isEmpty && options.isEmpty }

    init(json value: JSONValue, context: String) throws(CNIError) {
        func strings(_ key: String) throws(CNIError) -> [String] {
            guard let entry = value[key] else { return [] }
            guard let items = entry.arrayValue?.compactMap(\.stringValue), items.count == entry.arrayValue?.count else {
                throw CNIError(.decodeFailure, "\(context).\(key) must be an array of strings")
            }
            return items
        }
        nameservers = try strings("nameservers")
        domain = value["domain"]?.stringValue
        search = try strings("search")
        options = try strings("options")
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if !nameservers.isEmpty { object["nameservers"] = .array(nameservers.map { .string($0) }) }
        if let domain { object["domain"] = .string(domain) }
        if !search.isEmpty { object["search"] = .array(search.map { .string($0) }) }
        if !options.isEmpty { object["options"] = .array(options.map { .string($0) }) }
        return .object(object)
    }
}

/// A plugin's ADD result, version-independent in memory and encoded for the version the
/// runtime asked for.
public struct CNIResult: Sendable, Hashable {
    public struct Interface: Sendable, Hashable {
        public var name: String
        public var mac: String?
        /// 1.1.0 only.
        public var mtu: Int?
        /// The netns path for an interface inside the container; nil for a host interface.
        public var sandbox: String?
        /// 1.1.0 only.
        public var socketPath: String?
        /// 1.1.0 only.
        public var pciID: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil, socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    public struct IPConfig: Sendable, Hashable {
        public var address: CIDR
        public var gateway: IPAddress?
        /// Index into `interfaces`.
        public var interface: Int?

        public init(address: CIDR, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    public struct Route: Sendable, Hashable {
        public var dst: CIDR
        public var gw: IPAddress?
        // 1.1.0 only.
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(dst: CIDR, gw: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil, priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
            self.dst = dst
            self.gw = gw
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    /// Reads a result of any supported version (an IPAM plugin's output, a prevResult).
    /// Errors are code 6 (decode failure) naming the bad field.
    public init(json value: JSONValue) throws(CNIError) {
        guard value.objectValue != nil else { throw CNIError(.decodeFailure, "result is not a JSON object") }
        if value["ip4"] != nil || value["ip6"] != nil {
            throw CNIError(.incompatibleVersion, "result is in the 0.1.0/0.2.0 format (ip4/ip6), which is not supported")
        }
        func list(_ key: String) throws(CNIError) -> [JSONValue] {
            guard let entry = value[key], entry != .null else { return [] }
            guard let items = entry.arrayValue else { throw CNIError(.decodeFailure, "result.\(key) must be an array") }
            return items
        }
        func optionalInt(_ item: JSONValue, _ key: String, _ where_: String) throws(CNIError) -> Int? {
            guard let entry = item[key], entry != .null else { return nil }
            guard let number = entry.intValue else { throw CNIError(.decodeFailure, "\(where_).\(key) must be an integer") }
            return number
        }
        interfaces = []
        for (index, item) in try list("interfaces").enumerated() {
            let place = "result.interfaces[\(index)]"
            guard let name = item["name"]?.stringValue else { throw CNIError(.decodeFailure, "\(place).name is missing") }
            interfaces.append(Interface(
                name: name, mac: item["mac"]?.stringValue, mtu: try optionalInt(item, "mtu", place),
                sandbox: item["sandbox"]?.stringValue, socketPath: item["socketPath"]?.stringValue, pciID: item["pciID"]?.stringValue
            ))
        }
        ips = []
        for (index, item) in try list("ips").enumerated() {
            let place = "result.ips[\(index)]"
            guard let text = item["address"]?.stringValue, let address = CIDR(text) else {
                throw CNIError(.decodeFailure, "\(place).address is missing or not an address/prefix")
            }
            var gateway: IPAddress?
            if let gwText = item["gateway"]?.stringValue {
                guard let parsed = IPAddress(gwText) else { throw CNIError(.decodeFailure, "\(place).gateway \"\(gwText)\" is not an IP address") }
                gateway = parsed
            }
            let interface = try optionalInt(item, "interface", place)
            if let interface, interface < 0 || interface >= interfaces.count {
                throw CNIError(.decodeFailure, "\(place).interface \(interface) is not an index into result.interfaces")
            }
            ips.append(IPConfig(address: address, gateway: gateway, interface: interface))
        }
        routes = []
        for (index, item) in try list("routes").enumerated() {
            let place = "result.routes[\(index)]"
            guard let text = item["dst"]?.stringValue, let dst = CIDR(text) else {
                throw CNIError(.decodeFailure, "\(place).dst is missing or not an address/prefix")
            }
            var gw: IPAddress?
            if let gwText = item["gw"]?.stringValue {
                guard let parsed = IPAddress(gwText) else { throw CNIError(.decodeFailure, "\(place).gw \"\(gwText)\" is not an IP address") }
                gw = parsed
            }
            routes.append(Route(
                dst: dst, gw: gw, mtu: try optionalInt(item, "mtu", place), advmss: try optionalInt(item, "advmss", place),
                priority: try optionalInt(item, "priority", place), table: try optionalInt(item, "table", place),
                scope: try optionalInt(item, "scope", place)
            ))
        }
        if let dnsValue = value["dns"], dnsValue != .null {
            dns = try DNS(json: dnsValue, context: "result.dns")
        } else {
            dns = DNS()
        }
    }

    /// The result as the runtime expects it for `cniVersion`: 0.3.x/0.4.0 ips carry
    /// "version" ("4"/"6"); 1.1.0 adds interface mtu/socketPath/pciID and route
    /// mtu/advmss/priority/table/scope, which older versions leave out.
    public func json(cniVersion: String) -> JSONValue {
        let major = CNIVersion.components(cniVersion)?.0 ?? 1
        let hasIPVersion = major == 0
        let is11 = !CNIVersion.isOlder(cniVersion, than: "1.1.0")
        var object: [String: JSONValue] = ["cniVersion": .string(cniVersion)]
        if !interfaces.isEmpty {
            object["interfaces"] = .array(interfaces.map { interface in
                var item: [String: JSONValue] = ["name": .string(interface.name)]
                if let mac = interface.mac { item["mac"] = .string(mac) }
                if let sandbox = interface.sandbox { item["sandbox"] = .string(sandbox) }
                if is11 {
                    if let mtu = interface.mtu { item["mtu"] = .int(mtu) }
                    if let socketPath = interface.socketPath { item["socketPath"] = .string(socketPath) }
                    if let pciID = interface.pciID { item["pciID"] = .string(pciID) }
                }
                return .object(item)
            })
        }
        if !ips.isEmpty {
            object["ips"] = .array(ips.map { ip in
                var item: [String: JSONValue] = ["address": .string(ip.address.description)]
                if let gateway = ip.gateway { item["gateway"] = .string(gateway.description) }
                if let interface = ip.interface { item["interface"] = .int(interface) }
                if hasIPVersion { item["version"] = .string(ip.address.address.family == .v4 ? "4" : "6") }
                return .object(item)
            })
        }
        if !routes.isEmpty {
            object["routes"] = .array(routes.map { route in
                var item: [String: JSONValue] = ["dst": .string(route.dst.description)]
                if let gw = route.gw { item["gw"] = .string(gw.description) }
                if is11 {
                    if let mtu = route.mtu { item["mtu"] = .int(mtu) }
                    if let advmss = route.advmss { item["advmss"] = .int(advmss) }
                    if let priority = route.priority { item["priority"] = .int(priority) }
                    if let table = route.table { item["table"] = .int(table) }
                    if let scope = route.scope { item["scope"] = .int(scope) }
                }
                return .object(item)
            })
        }
        if !dns.isEmpty { object["dns"] = dns.json }
        return .object(object)
    }
}
