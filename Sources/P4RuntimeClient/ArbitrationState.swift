/// Where this client stands in the arbitration for its (device, role), as the server last said.
public enum ArbitrationState: Sendable, Hashable, CustomStringConvertible {
    /// No arbitrated stream: not started yet, or the stream dropped and a retry is pending.
    case disconnected(reason: String)
    /// The server accepted our MasterArbitrationUpdate; Write and SetForwardingPipelineConfig work.
    case primary
    /// Another client holds (or last held) the highest election id; `highest` is that id as the
    /// server reported it, and `primaryPresent` tells whether that client is connected now.
    case backup(highest: ElectionID?, primaryPresent: Bool)

    public var isPrimary: Bool { self == .primary }

    public var description: String {
        switch self {
        case .disconnected(let reason): "disconnected (\(reason))"
        case .primary: "primary"
        case .backup(let highest, let present):
            "backup (highest election id \(highest.map(String.init(describing:)) ?? "none"), primary \(present ? "connected" : "absent"))"
        }
    }
}
