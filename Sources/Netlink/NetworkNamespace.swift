import Glibc

/// A network namespace named by a path the kernel can open: a bind mount such as
/// `/var/run/netns/x` (what `ip netns add` and container runtimes make) or `/proc/PID/ns/net`.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    public let path: String

    public init(path: String) { self.path = path }

    /// `/var/run/netns/<name>`, where `ip netns` keeps named namespaces.
    public static func named(_ name: String) -> NetworkNamespace {
        NetworkNamespace(path: "/var/run/netns/\(name)")
    }

    /// `/proc/<pid>/ns/net`: the namespace a process runs in.
    public static func process(_ pid: Int32) -> NetworkNamespace {
        NetworkNamespace(path: "/proc/\(pid)/ns/net")
    }

    public var description: String { path }

    /// Opens the namespace file read-only; the caller closes the descriptor. A missing path is
    /// `notFound`, so DEL can treat a vanished pod namespace as done.
    func open(for what: @autoclosure () -> String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError(errno: Glibc.errno, "\(what()): open \(path)") }
        return fd
    }
}
