import CalicoCNIAPI
import Foundation
import InfraAPI
import GRPCCore
import InfraAgentCore
import InterfacePool
import XCTest

final class CNIBackendTests: AgentCNITestCase {
    func testAddPlumbsThePodAndTellsTheManagerDelUndoesItAndIsIdempotent() async throws {
        let ns = try makeNamespace()
        let netns = "/var/run/netns/\(ns)"
        let reply = try await add(addRequest(netns: netns))
        XCTAssertTrue(reply.successful, reply.errorMessage)
        let allAllocations = await pool.allocations
        let allocation = try XCTUnwrap(allAllocations.first)
        XCTAssertEqual(reply.hostInterfaceName, allocation.interface.name)
        XCTAssertEqual(reply.containerMac, allocation.interface.macAddress.description)
        XCTAssertEqual(allocation.containerID, netns, "without dataplane_options container_id the netns path is the key")

        // What the kernel holds in the pod, as iproute2 sees it.
        let link = try XCTUnwrap(try ipJSON(ns, ["link", "show", "eth0"]).first)
        XCTAssertEqual(link["address"] as? String, allocation.interface.macAddress.description)
        XCTAssertEqual(link["mtu"] as? Int, 1400)
        let addresses = try ipJSON(ns, ["addr", "show", "dev", "eth0"]).first?["addr_info"] as? [[String: Any]] ?? []
        XCTAssertTrue(addresses.contains { $0["local"] as? String == "10.250.0.5" && $0["prefixlen"] as? Int == 32 }, "\(addresses)")
        let defaults = try ipJSON(ns, ["route", "show", "default"])
        XCTAssertEqual(defaults.count, 1)
        XCTAssertEqual(defaults.first?["gateway"] as? String, "169.254.1.1")
        XCTAssertEqual(defaults.first?["dev"] as? String, "eth0")
        XCTAssertTrue((defaults.first?["flags"] as? [String] ?? []).contains("onlink"), "\(defaults)")
        let serviceRoute = try ipJSON(ns, ["route", "show", "10.96.0.0/12"])
        XCTAssertEqual(serviceRoute.first?["gateway"] as? String, "169.254.1.1")
        let neighbour = try XCTUnwrap(try ipJSON(ns, ["neigh", "show", "169.254.1.1", "dev", "eth0"]).first)
        XCTAssertEqual(neighbour["lladdr"] as? String, gatewayMAC.description)
        XCTAssertEqual(neighbour["state"] as? [String], ["PERMANENT"])
        XCTAssertFalse(try poolLinksInHost().contains(allocation.interface.name))

        // The manager holds the pod; the agent's Sync state reports it, also after a restart.
        var status = try await manager.status()
        XCTAssertEqual(status.desired.pods, 1)
        let pods = await backend.pods()
        XCTAssertEqual(pods.map(\.key.containerID), [netns])
        XCTAssertEqual(pods.first?.ipAddresses, ["10.250.0.5/32"])
        XCTAssertEqual(pods.first?.podName, "web-0")
        XCTAssertEqual(pods.first?.namespace, "shop")
        XCTAssertEqual(pods.first?.hostInterface, allocation.interface.name)
        let reloaded = try PodRegistry(path: podStateFile)
        let reloadedIDs = await reloaded.all.map(\.containerID)
        XCTAssertEqual(reloadedIDs, [netns])

        // Del: the link is back in the host namespace, the manager and the pool are empty.
        let deleted = try await del(netns: netns)
        XCTAssertTrue(deleted.successful, deleted.errorMessage)
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        XCTAssertEqual(try ipJSON(ns, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"])
        status = try await manager.status()
        XCTAssertEqual(status.desired.pods, 0)
        let remaining = await pool.allocations
        XCTAssertEqual(remaining, [])
        let podsAfter = await backend.pods()
        XCTAssertEqual(podsAfter.count, 0)

        let again = try await del(netns: netns)
        XCTAssertTrue(again.successful, again.errorMessage)
        let gone = try await del(netns: "/var/run/netns/acni-never-existed")
        XCTAssertTrue(gone.successful, gone.errorMessage)
    }

    func testContainerIDFromDataplaneOptionsIsTheKey() async throws {
        let ns = try makeNamespace()
        var request = addRequest(netns: "/var/run/netns/\(ns)")
        request.dataplaneOptions = ["container_id": "abc123"]
        let reply = try await add(request)
        XCTAssertTrue(reply.successful, reply.errorMessage)
        let first = await pool.allocations.first
        XCTAssertEqual(first?.containerID, "abc123")
        let ids = await backend.pods().map(\.key.containerID)
        XCTAssertEqual(ids, ["abc123"])
        let deleted = try await withCNIClient { client in
            try await client.del(.with {
                $0.netns = "/var/run/netns/\(ns)"
                $0.interfaceName = "eth0"
                $0.dataplaneOptions = ["container_id": "abc123"]
            }, options: .quick)
        }
        XCTAssertTrue(deleted.successful, deleted.errorMessage)
        let after = await pool.allocations
        XCTAssertEqual(after, [])
        let pods0 = try await manager.status().desired.pods
        XCTAssertEqual(pods0, 0)
    }

    func testManagerDownFailsWithUnavailableAndLeaksNothing() async throws {
        let ns = try makeNamespace()
        await manager.shutdown()
        do {
            let reply = try await add(addRequest(netns: "/var/run/netns/\(ns)"))
            XCTFail("Add succeeded with the manager down: \(reply)")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
            XCTAssertTrue(error.message.contains("infra-manager"), error.message)
        }
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames), "the pool interface is back in the host namespace")
        XCTAssertEqual(try ipJSON(ns, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"])
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
        let pods = await backend.pods()
        XCTAssertEqual(pods.count, 0)
    }

    /// A Sync taken while CreatePodNetwork is in flight reports the pod (the manager will hold
    /// it once the call returns), and once the call has failed it no longer does. The manager
    /// here accepts the TCP connection and never answers, so the call stays in flight until
    /// the backend's 2 s timeout.
    func testSyncDuringAnAddReportsThePodUntilTheAddFails() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        await serverGroup?.triggerGracefulShutdown()
        _ = try? await serverTask?.value
        managerClient?.beginGracefulShutdown()
        _ = try? await managerClientTask?.value
        try await startBackend(managerPort: silent.port)

        let ns = try makeNamespace()
        let request = addRequest(netns: "/var/run/netns/\(ns)")
        // What a Sync would report, sampled while the Add runs.
        let poller = Task { [backend] () -> [Infra_V1_PodNetwork] in
            for _ in 0..<150 {
                let pods = await backend!.pods()
                if !pods.isEmpty { return pods }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return []
        }
        do {
            _ = try await add(request)
            XCTFail("the Add succeeded against a manager that never answers")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable, "\(error)")
        }
        let reportedWhileInFlight = await poller.value
        XCTAssertEqual(reportedWhileInFlight.map(\.podName), ["web-0"], "a Sync during CreatePodNetwork reports the pod")
        XCTAssertEqual(reportedWhileInFlight.first?.ipAddresses, ["10.250.0.5/32"], "the address the pod holds")
        let afterFailure = await backend.pods()
        XCTAssertEqual(afterFailure, [], "the failed Add is no longer reported")
    }

    func testBadInputIsRefusedWithTheFieldAndLeaksNothing() async throws {
        let missing = "/var/run/netns/acni-does-not-exist"
        let noNetns = try await add(addRequest(netns: missing))
        XCTAssertFalse(noNetns.successful)
        XCTAssertTrue(noNetns.errorMessage.contains("netns \"\(missing)\" does not exist"), noNetns.errorMessage)

        let ns = try makeNamespace()
        let badIP = try await add(addRequest(netns: "/var/run/netns/\(ns)", address: "10.250.0.300/24"))
        XCTAssertFalse(badIP.successful)
        XCTAssertTrue(badIP.errorMessage.contains("container_ips[0].address \"10.250.0.300/24\""), badIP.errorMessage)

        var badName = addRequest(netns: "/var/run/netns/\(ns)")
        badName.interfaceName = ""
        let noName = try await add(badName)
        XCTAssertFalse(noName.successful)
        XCTAssertTrue(noName.errorMessage.contains("interface_name"), noName.errorMessage)

        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
        let pods0 = try await manager.status().desired.pods
        XCTAssertEqual(pods0, 0)
    }
}

extension CNIBackendTests {
    /// A netns path that exists but is no namespace: validation passes, the plumbing fails
    /// after the allocation, and the undo leaves the interface home and the slot free.
    func testPlumbingFailureIsUndone() async throws {
        let fake = directory + "/not-a-netns"
        XCTAssertTrue(FileManager.default.createFile(atPath: fake, contents: nil))
        let reply = try await add(addRequest(netns: fake))
        XCTAssertFalse(reply.successful)
        XCTAssertTrue(reply.errorMessage.contains("plumbing") && reply.errorMessage.contains(fake), reply.errorMessage)
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
        let pods = try await manager.status().desired.pods
        XCTAssertEqual(pods, 0)
    }
}

final class CNIPoolExhaustionTests: AgentCNITestCase {
    override var poolSize: Int { 1 }

    func testExhaustedPoolIsAClearErrorAndTheFirstPodKeepsItsInterface() async throws {
        let first = try makeNamespace(), second = try makeNamespace()
        let ok = try await add(addRequest(netns: "/var/run/netns/\(first)"))
        XCTAssertTrue(ok.successful, ok.errorMessage)
        let refused = try await add(addRequest(netns: "/var/run/netns/\(second)", address: "10.250.0.6/24", pod: "web-1"))
        XCTAssertFalse(refused.successful)
        XCTAssertTrue(refused.errorMessage.contains("interface pool exhausted"), refused.errorMessage)
        XCTAssertEqual(try ipJSON(second, ["link", "show"]).compactMap { $0["ifname"] as? String }, ["lo"])
        XCTAssertEqual(try ipJSON(first, ["link", "show", "eth0"]).count, 1)
        let pods1 = try await manager.status().desired.pods
        XCTAssertEqual(pods1, 1)

        let deleted = try await del(netns: "/var/run/netns/\(first)")
        XCTAssertTrue(deleted.successful, deleted.errorMessage)
        XCTAssertEqual(try poolLinksInHost(), Set(poolNames))
        let allocations = await pool.allocations
        XCTAssertEqual(allocations, [])
    }
}
