import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraAPI
import XCTest

/// The end-to-end path: the built infra-cni binary, Debian's host-local as IPAM, the real
/// CNI backend and a real manager.
class InfraCNITestCase: AgentCNITestCase {
    static let cniPath = CNIPeers.pluginDirectory

    func config() -> String {
        """
        {"cniVersion":"1.0.0","name":"agent-e2e","type":"infra-cni","agentSocket":"\(socketPath)","mtu":1450,
         "ipam":{"type":"host-local","dataDir":"\(directory)/ipam","ranges":[[{"subnet":"10.251.0.0/24","gateway":"10.251.0.1"}]]}}
        """
    }

    func run(_ command: String, netns: String, container: String = "e2e-1") async throws -> (status: Int32, stdout: String) {
        guard let executable = CNIPeers.product("infra-cni") else {
            throw XCTSkip("infra-cni is not built; run `swift build --product infra-cni`")
        }
        let environment = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": container, "CNI_IFNAME": "eth0", "CNI_PATH": Self.cniPath,
            "CNI_NETNS": netns, "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-e2e",
        ]
        let run = try await runOffPool(executable, environment: environment, stdin: config())
        return (run.status, run.stdout)
    }

}

final class InfraCNIEndToEndTests: InfraCNITestCase {
    func testInfraCNIWithHostLocalAgainstTheRealBackend() async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "\(Self.cniPath)/host-local"),
                          "host-local is not installed (apt-get install containernetworking-plugins)")
        let ns = try makeNamespace()
        let netns = "/var/run/netns/\(ns)"
        let added = try await run("ADD", netns: netns)
        XCTAssertEqual(added.status, 0, added.stdout)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
        let interfaces = result["interfaces"] as? [[String: Any]] ?? []
        let allocations = await pool.allocations
        let allocation = try XCTUnwrap(allocations.first)
        XCTAssertEqual(interfaces.first?["mac"] as? String, allocation.interface.macAddress.description)
        let ips = result["ips"] as? [[String: Any]] ?? []
        let address = try XCTUnwrap(ips.first?["address"] as? String)
        XCTAssertTrue(address.hasPrefix("10.251.0."), address)
        let host = String(address.split(separator: "/")[0])

        let inPod = try ipJSON(ns, ["addr", "show", "dev", "eth0"]).first?["addr_info"] as? [[String: Any]] ?? []
        XCTAssertTrue(inPod.contains { $0["local"] as? String == host && $0["prefixlen"] as? Int == 32 }, "\(inPod)")
        XCTAssertEqual(try ipJSON(ns, ["route", "show", "default"]).first?["gateway"] as? String, "169.254.1.1")
        XCTAssertEqual(try ipJSON(ns, ["neigh", "show", "169.254.1.1", "dev", "eth0"]).first?["lladdr"] as? String, gatewayMAC.description)
        let status = try await manager.status()
        XCTAssertEqual(status.desired.pods, 1)
        let pods = await backend.pods()
        XCTAssertEqual(pods.first?.ipAddresses, ["\(host)/32"])
        XCTAssertEqual(pods.first?.podName, "web-e2e")

        let deleted = try await run("DEL", netns: netns)
        XCTAssertEqual(deleted.status, 0, deleted.stdout)
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let after = try await manager.status()
        XCTAssertEqual(after.desired.pods, 0)
        let remaining = await pool.allocations
        XCTAssertEqual(remaining, [])
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/ipam/agent-e2e")) ?? []
        XCTAssertEqual(leases.filter { $0.hasPrefix("10.251.") }, [], "host-local's lease is released")
    }
}

/// The failures of §5 through the whole path (infra-cni binary, host-local, the real backend
/// and manager): spec error codes, and nothing held afterwards.
final class InfraCNIFailureTests: InfraCNITestCase {
    override var poolSize: Int { 1 }

    func leases() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/ipam/agent-e2e")) ?? []).filter { $0.hasPrefix("10.251.") }
    }

    func error(_ run: (status: Int32, stdout: String)) throws -> [String: Any] {
        XCTAssertEqual(run.status, 1, run.stdout)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
    }

    func testExhaustedPoolIsCode100AndAManagerDownIsCode11WithNothingHeld() async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "\(Self.cniPath)/host-local"), "host-local is not installed")
        let first = try makeNamespace(), second = try makeNamespace(), third = try makeNamespace()
        let added = try await run("ADD", netns: "/var/run/netns/\(first)", container: "pod-1")
        XCTAssertEqual(added.status, 0, added.stdout)

        // The one pool interface is taken: the agent's refusal is code 100 with its reason.
        let exhausted = try error(try await run("ADD", netns: "/var/run/netns/\(second)", container: "pod-2"))
        XCTAssertEqual(exhausted["code"] as? Int, 100)
        XCTAssertTrue((exhausted["details"] as? String ?? "").contains("interface pool exhausted"), "\(exhausted)")
        XCTAssertEqual(try ipJSON(second, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"])
        XCTAssertEqual(try ipJSON(first, ["link", "show", "eth0"]).count, 1, "the first pod keeps its interface")
        XCTAssertEqual(leases().count, 1, "pod-2's address went back to host-local")
        var pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 1)

        let deleted = try await run("DEL", netns: "/var/run/netns/\(first)", container: "pod-1")
        XCTAssertEqual(deleted.status, 0, deleted.stdout)
        pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 0)

        // The manager is down: the agent answers UNAVAILABLE after undoing, infra-cni says
        // try again later (11) and releases the address.
        await manager.shutdown()
        let down = try error(try await run("ADD", netns: "/var/run/netns/\(third)", container: "pod-3"))
        XCTAssertEqual(down["code"] as? Int, 11)
        XCTAssertTrue((down["details"] as? String ?? "").contains("infra-manager"), "\(down)")
        XCTAssertEqual(try ipJSON(third, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"])
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
        let registered = await backend.pods()
        XCTAssertEqual(registered.count, 0)
        XCTAssertEqual(leases(), [])
    }
}

final class CNIServerTests: AgentCNITestCase {
    func testSocketIsMode0600AndHealthIsServing() async throws {
        var info = stat()
        XCTAssertEqual(lstat(socketPath, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        let health = try await withGRPCClient(transport: transport) { client in
            try await Grpc_Health_V1_Health.Client(wrapping: client).check(.with { $0.service = "cni.CniDataplane" }, options: .quick)
        }
        XCTAssertEqual(health.status, .serving)
    }
}
