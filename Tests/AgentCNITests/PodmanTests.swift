import Foundation
import XCTest

/// A real container runtime: podman 4 (Debian) with runc creates busybox containers on a CNI
/// network whose only plugin is infra-cni (IPAM host-local), served by the real backend and
/// manager. podman's storage, run directory and CNI config live in the test's directory.
final class PodmanTests: AgentCNITestCase {
    var networkName = ""

    override func setUp() async throws {
        try await super.setUp()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/podman"), FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc"),
              FileManager.default.isExecutableFile(atPath: CNIPeers.rootfs + "/bin/sh") else {
            throw XCTSkip("podman, runc or the busybox rootfs is missing; run scripts/setup --test")
        }
        guard let infraCNI = CNIPeers.product("infra-cni") else { throw XCTSkip("infra-cni is not built") }
        networkName = "acni\(UInt32.random(in: 0...UInt32.max))"
        try CNIPeers.makePluginDirectory(at: directory + "/bin", infraCNI: infraCNI)
        try FileManager.default.createDirectory(atPath: directory + "/netconf", withIntermediateDirectories: true)
        try """
        {"cniVersion":"1.0.0","name":"\(networkName)","plugins":[{"type":"infra-cni","agentSocket":"\(socketPath)",
         "ipam":{"type":"host-local","dataDir":"\(directory)/ipam","ranges":[[{"subnet":"10.252.0.0/24","gateway":"10.252.0.1"}]]}}]}
        """.write(toFile: directory + "/netconf/\(networkName).conflist", atomically: true, encoding: .utf8)
        // No systemd here (PID 1 is not systemd): cgroupfs and a file event log.
        try """
        [network]
        network_backend = "cni"
        cni_plugin_dirs = ["\(directory)/bin"]
        network_config_dir = "\(directory)/netconf"
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        """.write(toFile: directory + "/containers.conf", atomically: true, encoding: .utf8)
    }

    override func tearDown() async throws {
        if !networkName.isEmpty {
            _ = try? await podman(["rm", "-f", "-a", "-t", "0"])
            CNIPeers.dropCachedResults(network: networkName)  // what a failed run may have left
        }
        try await super.tearDown()
    }

    /// Runs podman with only stdin, stdout and stderr open: descriptors of this test process
    /// (its sockets) inherited by podman's conmon made the next podman call wait forever.
    func podman(_ arguments: [String]) async throws -> ProcessRun {
        try await runOffPool("/usr/bin/python3", ["-c", "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])", "/usr/bin/podman",
            "--root", directory + "/storage", "--runroot", directory + "/run", "--runtime", "runc", "--storage-driver", "vfs",
        ] + arguments, environment: [
            "CONTAINERS_CONF": directory + "/containers.conf", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": directory,
        ])
    }

    /// podman's own wrapper for a container: without CAP_SYS_RESOURCE here, runc must not raise rlimits.
    func runContainer(_ name: String) async throws -> ProcessRun {
        try await podman([
            "run", "-d", "--name", name, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "--network", networkName, "--rootfs", CNIPeers.rootfs, "/bin/sleep", "120",
        ])
    }

    func testPodmanContainersGetThePlumbingAndRemovalReleasesIt() async throws {
        let started = try await runContainer("web-a")
        XCTAssertEqual(started.status, 0, started.stderr)
        let sandbox = try await podman(["inspect", "-f", "{{.NetworkSettings.SandboxKey}}", "web-a"])
        let netnsPath = sandbox.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(netnsPath.hasPrefix("/run/netns/"), sandbox.stdout + sandbox.stderr)
        let ns = String(netnsPath.dropFirst("/run/netns/".count))

        let first = await pool.allocations.first
        let allocation = try XCTUnwrap(first)
        let addresses = try ipJSON(ns, ["-4", "addr", "show", "dev", "eth0"]).first?["addr_info"] as? [[String: Any]] ?? []
        let address = try XCTUnwrap(addresses.first?["local"] as? String, "\(addresses)")
        XCTAssertTrue(address.hasPrefix("10.252.0."), address)
        try assertPlumbed(ns, address: address, mac: allocation.interface.macAddress.description, mtu: 1500)
        let registered = await backend.pods()
        XCTAssertEqual(registered.first?.podName, "web-a", "podman passes K8S_POD_NAME in CNI_ARGS")
        var pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 1)

        // Inside the container, as its own processes see it.
        let route = try await podman(["exec", "web-a", "ip", "route"])
        XCTAssertTrue(route.stdout.contains("default via 169.254.1.1 dev eth0"), route.stdout + route.stderr)
        let neighbour = try await podman(["exec", "web-a", "ip", "neigh"])
        XCTAssertTrue(neighbour.stdout.contains("169.254.1.1 dev eth0 lladdr \(gatewayMAC.description)"), neighbour.stdout + neighbour.stderr)
        let port = try XCTUnwrap(poolNames.firstIndex(of: allocation.interface.name).map { peerNames[$0] })
        try await assertTrafficReachesPort(port, fromNetns: netnsPath)

        // A second container gets the other pool interface and the next address.
        let second = try await runContainer("web-b")
        XCTAssertEqual(second.status, 0, second.stderr)
        let held = await pool.allocations.map(\.interface.name)
        XCTAssertEqual(Set(held), Set(poolNames))
        pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 2)

        // Removing the containers runs CNI DEL: interfaces home, slots, pods and leases freed.
        for name in ["web-a", "web-b"] {
            let removed = try await podman(["rm", "-f", "-t", "0", name])
            XCTAssertEqual(removed.status, 0, removed.stderr)
        }
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
        pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 0)
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/ipam/\(networkName)")) ?? []
        XCTAssertEqual(leases.filter { $0.hasPrefix("10.252.") }, [], "host-local leases released")
    }
}
