import Foundation

/// One plugin's network configuration, as the runtime hands it on stdin. The well-known keys
/// are read into fields; `raw` keeps the whole object (other keys such as `agentSocket` or
/// `dataplane_options`, capability args) so nothing is lost when the config is passed on.
public struct NetworkConfig: Sendable, Hashable {
    public var cniVersion: String
    public var name: String
    public var type: String
    /// The `ipam` section; its `type` names the IPAM plugin.
    public var ipam: JSONValue?
    public var ipamType: String? { ipam?["type"]?.stringValue }
    public var dns: DNS?
    public var runtimeConfig: JSONValue?
    public var args: JSONValue?
    /// The previous plugin's result (chained ADD, CHECK, DEL).
    public var prevResult: CNIResult?
    public var raw: [String: JSONValue]

    /// Parses stdin. Malformed JSON is code 6, a missing or mistyped required key code 7, an
    /// unknown `cniVersion` code 1.
    public init(data: Data) throws(CNIError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw CNIError(.decodeFailure, "cannot decode the network configuration", details: error.message)
        }
        try self.init(json: value)
    }

    public init(json value: JSONValue) throws(CNIError) {
        guard let object = value.objectValue else {
            throw CNIError(.decodeFailure, "cannot decode the network configuration", details: "not a JSON object")
        }
        raw = object
        func requiredString(_ key: String) throws(CNIError) -> String {
            guard let entry = object[key] else {
                throw CNIError(.invalidNetworkConfig, "network configuration has no \"\(key)\"")
            }
            guard let text = entry.stringValue, !text.isEmpty else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"\(key)\" must be a non-empty string")
            }
            return text
        }
        cniVersion = try CNIVersion.negotiate(try requiredString("cniVersion"))
        name = try requiredString("name")
        type = try requiredString("type")
        ipam = object["ipam"]
        if let ipam, ipam.objectValue == nil {
            throw CNIError(.invalidNetworkConfig, "network configuration key \"ipam\" must be an object")
        }
        if let dnsValue = object["dns"] {
            guard dnsValue.objectValue != nil else {
                throw CNIError(.invalidNetworkConfig, "network configuration key \"dns\" must be an object")
            }
            dns = try DNS(json: dnsValue, context: "dns")
        }
        runtimeConfig = object["runtimeConfig"]
        args = object["args"]
        if let prev = object["prevResult"], prev != .null {
            do {
                prevResult = try CNIResult(json: prev)
            } catch {
                throw CNIError(.invalidNetworkConfig, "cannot read prevResult", details: error.msg)
            }
        }
    }

    /// The config re-serialized, with `cniVersion` replaced if asked (for a delegate that
    /// speaks an older version).
    public func serialized(cniVersion override: String? = nil) -> Data {
        var object = raw
        if let override { object["cniVersion"] = .string(override) }
        return JSONValue.object(object).serialized()
    }
}

/// A network configuration list (a `.conflist` file): the runtime reads it, plugins get one
/// entry each. Kept for tooling and tests; the plugin itself only reads `NetworkConfig`.
public struct NetworkConfigList: Sendable, Hashable {
    public var cniVersion: String
    /// 1.1: the versions the list is valid for.
    public var cniVersions: [String]
    public var name: String
    public var disableCheck: Bool
    public var disableGC: Bool
    public var plugins: [JSONValue]

    public init(data: Data) throws(CNIError) {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw CNIError(.decodeFailure, "cannot decode the network configuration list", details: error.message)
        }
        guard let object = value.objectValue else {
            throw CNIError(.decodeFailure, "cannot decode the network configuration list", details: "not a JSON object")
        }
        guard let version = object["cniVersion"]?.stringValue else {
            throw CNIError(.invalidNetworkConfig, "network configuration list has no \"cniVersion\"")
        }
        cniVersion = try CNIVersion.negotiate(version)
        cniVersions = object["cniVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard let name = object["name"]?.stringValue, !name.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "network configuration list has no \"name\"")
        }
        self.name = name
        disableCheck = object["disableCheck"]?.boolValue ?? false
        disableGC = object["disableGC"]?.boolValue ?? false
        guard let plugins = object["plugins"]?.arrayValue, !plugins.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "network configuration list \"\(name)\" has no plugins")
        }
        self.plugins = plugins
    }

    /// The config the runtime gives plugin `index`: its entry plus the list's name and version.
    public func pluginConfig(at index: Int) throws(CNIError) -> NetworkConfig {
        guard var object = plugins[index].objectValue else {
            throw CNIError(.invalidNetworkConfig, "plugin \(index) of \"\(name)\" is not an object")
        }
        object["name"] = .string(name)
        object["cniVersion"] = .string(cniVersion)
        return try NetworkConfig(json: .object(object))
    }
}
