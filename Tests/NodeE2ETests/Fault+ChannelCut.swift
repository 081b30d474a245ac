import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network partition between the agent and the manager: an nftables table of its own that
/// silently drops every TCP segment to or from the manager's port on this host, the way an IPU
/// reboot or a pulled cable looks (no RST, no FIN; only timeouts tell).
///
/// Why nftables rather than a relay: the agent keeps dialling the manager's real address, so
/// what is tested is the product's own connection handling. The table is named after this
/// process and the port, so parallel test runs never touch each other's rules, and `restore`
/// (also run on deinit) deletes it.
final class ChannelCut: @unchecked Sendable {
    let port: Int
    let table: String
    private(set) var active = false

    init(port: Int) {
        self.port = port
        table = "flt\(getpid())p\(port)"
    }

    deinit { try? restore() }

    /// Starts dropping. The output hook sees both directions on loopback: the agent's segments
    /// go to the port, the manager's come from it.
    func cut() throws {
        let rules = """
        table inet \(table) {
            chain output {
                type filter hook output priority -10; policy accept;
                tcp dport \(port) drop
                tcp sport \(port) drop
            }
        }
        """
        try Self.nft(["-f", "-"], input: rules)
        active = true
    }

    /// Stops dropping: segments TCP held back are retransmitted and flow again.
    func restore() throws {
        guard active else { return }
        try Self.nft(["delete", "table", "inet", table])
        active = false
    }

    private static func nft(_ arguments: [String], input: String = "") throws {
        try Command.check(["nft"] + arguments, stdin: input, timeout: 20)
    }
}
