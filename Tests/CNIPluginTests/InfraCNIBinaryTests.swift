import CNISpec
import CalicoCNIAPI
import Foundation
import XCTest

/// The built infra-cni, with Debian's host-local as IPAM, against a fake agent serving
/// cni.CniDataplane on a temporary unix socket.
final class InfraCNIBinaryTests: XCTestCase {
    var harness: PluginHarness!
    var server: FakeAgentServer?

    override func setUp() async throws {
        harness = try PluginHarness()
    }

    override func tearDown() async throws {
        await server?.stop()
        harness?.cleanUp()
    }

    func startAgent() async throws -> FakeAgent {
        let server = try await FakeAgentServer(socketPath: harness.socketPath)
        self.server = server
        return server.agent
    }

    func testAddAnswersInTheRequestedVersionAndSendsTheAgentTheIPAMAddresses() async throws {
        let agent = try await startAgent()
        for (index, version) in CNIVersion.supported.enumerated() {
            let container = "ctr-\(index)"
            let run = try await harness.run(harness.environment("ADD", container: container), stdin: harness.config(version: version))
            XCTAssertEqual(run.status, 0, run.stdout)
            let result = try XCTUnwrap(run.json, run.stdout)
            XCTAssertEqual(result["cniVersion"], .string(version))
            XCTAssertEqual(result["interfaces"], .array([.object([
                "name": .string("eth0"), "mac": .string(FakeAgent.mac), "sandbox": .string(harness.netnsPath),
            ].merging(version == "1.1.0" ? ["mtu": .int(1450)] : [:]) { a, _ in a })]), version)
            let ip = try XCTUnwrap(result["ips"]?.arrayValue?.first, run.stdout)
            let address = try XCTUnwrap(ip["address"]?.stringValue)
            // What the agent plumbs: a host address behind 169.254.1.1, not IPAM's /24.
            XCTAssertTrue(address.hasPrefix("10.250.0.") && address.hasSuffix("/32"), address)
            XCTAssertEqual(ip["gateway"], .string("169.254.1.1"))
            XCTAssertEqual(result["routes"], .array([.object(["dst": .string("0.0.0.0/0"), "gw": .string("169.254.1.1")])]))
            XCTAssertEqual(ip["interface"], .int(0))
            XCTAssertEqual(ip["version"], version.hasPrefix("0.") ? .string("4") : nil, "\(version): ips carry version only before 1.0.0")

            let request = try XCTUnwrap(agent.adds.last)
            XCTAssertEqual(agent.adds.count, index + 1)
            XCTAssertEqual(request.interfaceName, "eth0")
            XCTAssertEqual(request.netns, harness.netnsPath)
            XCTAssertEqual(request.containerIps.map(\.address), [address.replacingOccurrences(of: "/32", with: "/24")])
            XCTAssertEqual(request.containerIps.map(\.gateway), ["10.250.0.1"])
            XCTAssertEqual(request.containerRoutes, ["0.0.0.0/0"])
            XCTAssertEqual(request.workload.pod, "web-0")
            XCTAssertEqual(request.workload.name, "web-0")
            XCTAssertEqual(request.workload.namespace, "shop")
            XCTAssertEqual(request.workload.orchestrator, "k8s")
            XCTAssertEqual(request.settings.mtu, 1450)
            XCTAssertEqual(request.dataplaneOptions, ["type": "grpc", "socket": harness.socketPath])
            // host-local holds exactly the address the agent was given.
            XCTAssertTrue(harness.leases().contains(String(address.dropLast(3))), "\(harness.leases())")
        }
        XCTAssertEqual(harness.leases().count, CNIVersion.supported.count, "one lease per container")
    }

    func testDelCallsTheAgentThenFreesTheLeaseAndIsIdempotent() async throws {
        let agent = try await startAgent()
        let config = harness.config()
        let add = try await harness.run(harness.environment("ADD"), stdin: config)
        XCTAssertEqual(add.status, 0, add.stdout)
        XCTAssertEqual(harness.leases().count, 1)

        let del = try await harness.run(harness.environment("DEL"), stdin: config)
        XCTAssertEqual(del.status, 0, del.stdout)
        XCTAssertEqual(del.stdout, "", "DEL prints nothing on success")
        XCTAssertEqual(agent.dels.count, 1)
        XCTAssertEqual(agent.dels.first?.interfaceName, "eth0")
        XCTAssertEqual(agent.dels.first?.netns, harness.netnsPath)
        XCTAssertEqual(agent.dels.first?.dataplaneOptions["type"], "grpc")
        XCTAssertEqual(harness.leases(), [], "host-local's lease is gone after DEL")

        // Again, and without a netns (the runtime may have removed it): still success.
        let again = try await harness.run(harness.environment("DEL", netns: ""), stdin: config)
        XCTAssertEqual(again.status, 0, again.stdout)
        XCTAssertEqual(agent.dels.count, 2)
        XCTAssertEqual(agent.dels.last?.netns, "")
    }

    func testAgentDownFailsAddWithTryAgainLaterAndReleasesTheLease() async throws {
        let started = ContinuousClock.now
        let run = try await harness.run(harness.environment("ADD"), stdin: harness.config())
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "ADD must fail within 3 s")
        XCTAssertEqual(run.errorCode, 11, run.stdout)
        XCTAssertTrue(run.json?["msg"]?.stringValue?.contains(harness.socketPath) ?? false, run.stdout)
        XCTAssertNotNil(run.json?["details"]?.stringValue, "details say why")
        XCTAssertEqual(harness.leases(), [], "the IPAM address is released")
    }

    func testSilentAgentHitsTheDeadline() async throws {
        // A socket that accepts connections but never speaks: only the call deadline ends ADD.
        let listener = try SilentListener(path: harness.socketPath)
        defer { listener.close() }
        let started = ContinuousClock.now
        let run = try await harness.run(
            harness.environment("ADD"), stdin: harness.config(extra: ["agentTimeoutSeconds": .int(1)])
        )
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "ADD must fail within 3 s")
        XCTAssertEqual(run.errorCode, 11, run.stdout)
        XCTAssertEqual(harness.leases(), [], "the IPAM address is released")
    }

    func testAgentRefusalIsCode100AndReleasesTheLease() async throws {
        let agent = try await startAgent()
        agent.refuse(with: "interface pool exhausted")
        let run = try await harness.run(harness.environment("ADD"), stdin: harness.config())
        XCTAssertEqual(run.errorCode, 100, run.stdout)
        XCTAssertEqual(run.json?["details"], .string("interface pool exhausted"))
        XCTAssertEqual(agent.adds.count, 1)
        XCTAssertEqual(harness.leases(), [])
    }

    func testBadInputGetsSpecCodesAndTouchesNothing() async throws {
        let agent = try await startAgent()
        let malformed = try await harness.run(harness.environment("ADD"), stdin: "{\"cniVersion\": \"1.0.0\", ")
        XCTAssertEqual(malformed.errorCode, 6, malformed.stdout)

        let unknownVersion = try await harness.run(harness.environment("ADD"), stdin: harness.config(version: "7.0.0"))
        XCTAssertEqual(unknownVersion.errorCode, 1, unknownVersion.stdout)
        XCTAssertEqual(unknownVersion.json?["cniVersion"], .string(CNIVersion.latest))

        var environment = harness.environment("ADD")
        environment["CNI_IFNAME"] = nil
        environment["CNI_CONTAINERID"] = nil
        let missing = try await harness.run(environment, stdin: harness.config(version: "0.4.0"))
        XCTAssertEqual(missing.errorCode, 4, missing.stdout)
        XCTAssertEqual(missing.json?["cniVersion"], .string("0.4.0"), "the error is in the config's version")
        XCTAssertTrue(missing.json?["msg"]?.stringValue?.contains("CNI_CONTAINERID, CNI_IFNAME") ?? false, missing.stdout)

        let noIPAM = try await harness.run(harness.environment("ADD"), stdin: #"{"cniVersion":"1.0.0","name":"n","type":"infra-cni"}"#)
        XCTAssertEqual(noIPAM.errorCode, 7, noIPAM.stdout)

        let gone = harness.directory.appendingPathComponent("no-such-netns").path
        let noNetns = try await harness.run(harness.environment("ADD", netns: gone), stdin: harness.config())
        XCTAssertEqual(noNetns.errorCode, 4, noNetns.stdout)
        XCTAssertTrue(noNetns.json?["msg"]?.stringValue?.contains("CNI_NETNS") ?? false, noNetns.stdout)

        XCTAssertTrue(agent.adds.isEmpty, "the agent heard nothing")
        XCTAssertEqual(harness.leases(), [])
    }

    func testStatus() async throws {
        let down = try await harness.run(["CNI_COMMAND": "STATUS", "CNI_PATH": PluginHarness.cniPath], stdin: harness.config(version: "1.1.0"))
        XCTAssertEqual(down.errorCode, 50, down.stdout)
        XCTAssertTrue(down.json?["msg"]?.stringValue?.contains(harness.socketPath) ?? false, down.stdout)

        let agent = try await startAgent()
        let up = try await harness.run(["CNI_COMMAND": "STATUS", "CNI_PATH": PluginHarness.cniPath], stdin: harness.config(version: "1.1.0"))
        XCTAssertEqual(up.status, 0, up.stdout)
        XCTAssertEqual(up.stdout, "")

        agent.setServing(false)
        let notServing = try await harness.run(["CNI_COMMAND": "STATUS", "CNI_PATH": PluginHarness.cniPath], stdin: harness.config(version: "1.1.0"))
        XCTAssertEqual(notServing.errorCode, 50, notServing.stdout)
    }

    func testVersion() async throws {
        let run = try await harness.run(["CNI_COMMAND": "VERSION"], stdin: #"{"cniVersion":"0.4.0"}"#)
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.stdout, #"{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n")
    }

    func testGCWithAnIPAMThatPredatesSpec11Succeeds() async throws {
        let run = try await harness.run(["CNI_COMMAND": "GC", "CNI_PATH": PluginHarness.cniPath], stdin: harness.config(version: "1.1.0"))
        XCTAssertEqual(run.status, 0, run.stdout)
    }
}

/// A unix socket that listens and never accepts: connects succeed, nothing is ever answered.
final class SilentListener {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let bytes = Array(path.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    func close() {
        _ = Glibc.close(fd)
        unlink(path)
    }
}
