/// A bad setting or a failure of the interface, phrased for the operator in one line:
/// `interface "eth9": no such interface in this network namespace`.
public struct ARPProxyError: Error, CustomStringConvertible, Sendable {
    /// The setting or object concerned (`interface`, `--gateway`, `gatewayAddresses[1]`).
    public var field: String
    /// The value as given.
    public var value: String
    public var reason: String

    public init(field: String, value: String, reason: String) {
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String {
        value.isEmpty ? "\(field): \(reason)" : "\(field) \"\(value)\": \(reason)"
    }
}
