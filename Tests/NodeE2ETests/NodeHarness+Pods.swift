import Foundation

/// Pods through infra-cni (CNI ADD/DEL with host-local), commands and servers inside them.
extension NodeHarness {
    func pod(_ name: String) throws -> Pod {
        guard let pod = lock.withLock({ pods[name] }) else { throw NodeHarnessError("no pod \(name) on this node") }
        return pod
    }

    var podList: [Pod] { lock.withLock { Array(pods.values) } }

    /// Runs `command` through infra-cni for pod `name` (its namespace `<tag>-<name>`).
    func cni(_ command: String, pod name: String) throws -> CommandResult {
        let environment = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": "\(tag)-\(name)", "CNI_NETNS": "/var/run/netns/\(tag)-\(name)",
            "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=e2e;K8S_POD_NAME=\(name)",
        ]
        return try Command.run([try Self.executable("infra-cni")], stdin: cniConfiguration, environment: environment, timeout: 30)
    }

    /// Makes pod `name`: its namespace, then CNI ADD. Throws with infra-cni's answer on failure
    /// (the namespace stays until tearDown, as a runtime would keep the sandbox).
    @discardableResult
    func addPod(_ name: String) throws -> Pod {
        let namespace = "\(tag)-\(name)"
        if !lock.withLock({ namespaces.contains(namespace) }) { try makeNamespace(namespace) }
        let added = try cni("ADD", pod: name)
        guard added.succeeded,
              let result = try? JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any],
              let address = (result["ips"] as? [[String: Any]])?.first?["address"] as? String
        else { throw NodeHarnessError("CNI ADD of pod \(name) failed: \(added)\nagent log:\n\(agent.log)") }
        let pod = Pod(name: name, namespace: namespace, containerID: "\(tag)-\(name)", ip: String(address.split(separator: "/")[0]))
        lock.withLock { pods[name] = pod }
        return pod
    }

    /// CNI DEL for pod `name`; its namespace stays until tearDown.
    func deletePod(_ name: String) throws {
        let deleted = try cni("DEL", pod: name)
        guard deleted.succeeded else { throw NodeHarnessError("CNI DEL of pod \(name) failed: \(deleted)") }
        _ = lock.withLock { pods.removeValue(forKey: name) }
    }

    /// Runs `command` inside pod `name`'s network namespace.
    func run(in name: String, _ command: [String], timeout: Double = 60) throws -> CommandResult {
        try Command.run(["ip", "netns", "exec", try pod(name).namespace] + command, timeout: timeout)
    }

    /// Starts pod_peer.py's server in pod `name` (it answers with the pod's name on every TCP
    /// port and UDP port given) and waits until it is bound. It is killed at tearDown.
    func startServer(in name: String, tcp: [Int] = [], udp: [Int] = []) throws {
        let log = "\(directory)/server-\(name)-\(UUID().uuidString.prefix(6)).log"
        let arguments = ["ip", "netns", "exec", try pod(name).namespace, "python3", Self.peerScript, "serve", name,
                         "--tcp", tcp.map(String.init).joined(separator: ","), "--udp", udp.map(String.init).joined(separator: ",")]
        let server = try Command.spawn(arguments, stdout: log, stderr: log)
        lock.withLock { servers.append(server) }
        let ready = Command.waitUntil(timeout: 20) {
            !server.isRunning || ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("ready")
        }
        guard ready, server.isRunning else {
            throw NodeHarnessError("the server in pod \(name) did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }
}
