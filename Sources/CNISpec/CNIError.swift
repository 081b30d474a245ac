/// The CNI error object a plugin prints on stdout before exiting non-zero:
/// `{"cniVersion", "code", "msg", "details"}`.
public struct CNIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The spec's well-known codes (0–99 are reserved by the spec) and this plugin's own (100+).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let incompatibleVersion = Code(rawValue: 1)
        public static let unsupportedField = Code(rawValue: 2)
        public static let containerUnknown = Code(rawValue: 3)
        public static let invalidEnvironment = Code(rawValue: 4)
        public static let ioFailure = Code(rawValue: 5)
        public static let decodeFailure = Code(rawValue: 6)
        public static let invalidNetworkConfig = Code(rawValue: 7)
        public static let tryAgainLater = Code(rawValue: 11)
        /// STATUS only: the plugin cannot serve ADDs now.
        public static let pluginNotAvailable = Code(rawValue: 50)
        /// STATUS only: the plugin's IPAM has no addresses left.
        public static let limitedConnectivity = Code(rawValue: 51)
        /// STATUS only: the node has no network connectivity.
        public static let noConnectivity = Code(rawValue: 52)

        // Plugin-specific (100+).
        /// The agent answered but refused the request (its error message is in `msg`/`details`).
        public static let agentRefused = Code(rawValue: 100)
        /// The IPAM plugin failed without a CNI error object, or is not on CNI_PATH.
        public static let ipamFailed = Code(rawValue: 101)
        /// CHECK found the pod's interface different from prevResult.
        public static let checkMismatch = Code(rawValue: 102)
        /// The IPAM plugin returned no address.
        public static let ipamNoAddress = Code(rawValue: 103)

        public var description: String { "\(rawValue)" }
    }

    public var code: Code
    public var msg: String
    public var details: String?

    public init(_ code: Code, _ msg: String, details: String? = nil) {
        self.code = code
        self.msg = msg
        self.details = details
    }

    public var description: String {
        details.map { "CNI error \(code.rawValue): \(msg) (\($0))" } ?? "CNI error \(code.rawValue): \(msg)"
    }

    /// The error object; `cniVersion` is the version of the request (or the latest when the
    /// request could not be read).
    public func json(cniVersion: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "cniVersion": .string(cniVersion),
            "code": .int(code.rawValue),
            "msg": .string(msg),
        ]
        if let details, !details.isEmpty { object["details"] = .string(details) }
        return .object(object)
    }

    /// Reads an error object another plugin printed (an IPAM delegate). Nil if `value` is
    /// not one.
    public init?(json value: JSONValue) {
        guard let code = value["code"]?.intValue else { return nil }
        self.init(Code(rawValue: code), value["msg"]?.stringValue ?? "", details: value["details"]?.stringValue)
    }
}
