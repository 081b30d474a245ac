import Foundation

/// What several test targets need from the package around them: its built executables and
/// free local ports. A library target under Tests/ (test targets cannot import each other),
/// Foundation only, so it builds in any configuration.
public enum BuiltProduct {
    /// The repository root (this file is Tests/TestSupport/BuiltProduct.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the built executable `name` would be: next to the test bundle (the configuration
    /// being tested), then .build/debug.
    public static func candidates(_ name: String) -> [URL] {
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        return candidates
    }

    /// The built executable `name`, or nil when it is not built.
    public static func find(_ name: String) -> String? {
        candidates(name).first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
    }

    /// The built executable `name`; throws naming where it looked when it is not built.
    public static func path(_ name: String) throws -> String {
        guard let found = find(name) else {
            throw TestSupportError("\(name) is not built; run `swift build --build-tests` (looked in \(candidates(name).map(\.path)))")
        }
        return found
    }
}

public enum LocalPort {
    /// A TCP port that was free a moment ago on 127.0.0.1 (the kernel's choice).
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("no free TCP port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
