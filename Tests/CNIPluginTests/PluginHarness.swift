import CNISpec
import Foundation
import XCTest

/// Runs the built infra-cni binary the way a runtime does, with Debian's host-local as IPAM
/// and its leases in a temporary dataDir.
struct PluginHarness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let cniPath = "/usr/lib/cni"
    static let network = "infra-test"

    let directory: URL
    var socketPath: String { directory.appendingPathComponent("cni.sock").path }
    var dataDir: URL { directory.appendingPathComponent("ipam") }
    /// Stands for the pod's netns path: it exists (infra-cni checks that on ADD), and the
    /// fake agent never opens it.
    var netnsPath: String { directory.appendingPathComponent("netns").path }

    struct Run {
        var stdout: String
        var status: Int32
        var json: JSONValue? { try? JSONValue.parse(Data(stdout.utf8)) }
        var errorCode: Int? { status == 0 ? nil : json?["code"]?.intValue }
    }

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: "\(Self.cniPath)/host-local") else {
            throw XCTSkip("host-local is not installed (apt-get install containernetworking-plugins)")
        }
        // Short: unix socket paths are limited to 107 bytes.
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("infra-cni-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory.appendingPathComponent("netns").path, contents: nil)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    static func executable() throws -> String {
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("infra-cni"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("infra-cni"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/infra-cni"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("infra-cni is not built; run `swift build --product infra-cni`")
        }
        return found.path
    }

    /// The network config: host-local on 10.250.0.0/24 with its leases in `dataDir`.
    func config(version: String = "1.0.0", extra: [String: JSONValue] = [:], socket: String? = nil) -> String {
        var object: [String: JSONValue] = [
            "cniVersion": .string(version),
            "name": .string(Self.network),
            "type": .string("infra-cni"),
            "agentSocket": .string(socket ?? socketPath),
            "mtu": .int(1450),
            "dataplane_options": .object(["type": .string("grpc"), "socket": .string(socket ?? socketPath)]),
            "ipam": .object([
                "type": .string("host-local"),
                "dataDir": .string(dataDir.path),
                "ranges": .array([.array([.object(["subnet": .string("10.250.0.0/24"), "gateway": .string("10.250.0.1")])])]),
            ]),
        ]
        for (key, value) in extra { object[key] = value }
        return JSONValue.object(object).serializedString()
    }

    /// The CNI_* variables for `command`; `netns` defaults to `netnsPath`, "" leaves it unset.
    func environment(_ command: String, container: String = "c1", netns: String? = nil, ifname: String = "eth0") -> [String: String] {
        var env = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": container, "CNI_IFNAME": ifname, "CNI_PATH": Self.cniPath,
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=\(container)",
        ]
        let path = netns ?? netnsPath
        if !path.isEmpty { env["CNI_NETNS"] = path }
        return env
    }

    /// Runs infra-cni off the cooperative pool (the fake agent's handlers need it).
    func run(_ environment: [String: String], stdin: String) async throws -> Run {
        let executable = try Self.executable()
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.environment = environment
                    let input = Pipe(), output = Pipe()
                    process.standardInput = input
                    process.standardOutput = output
                    try process.run()
                    input.fileHandleForWriting.write(Data(stdin.utf8))
                    try input.fileHandleForWriting.close()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Run(stdout: String(decoding: data, as: UTF8.self), status: process.terminationStatus))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The addresses host-local holds: one file per address in dataDir/<network>/.
    func leases() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dataDir.appendingPathComponent(Self.network).path)) ?? []
        return Set(names.filter { $0.hasPrefix("10.250.") })
    }
}
