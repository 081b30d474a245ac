import Foundation
import P4Info
import P4RuntimeAPI
import P4RuntimeClient
import XCTest

/// k8s_dp's compiled pipeline in DPDK's SWX pipeline, programmed through P4Runtime, with real
/// frames sent through veths into the af_packet ports and captured where they come out.
final class P4DPDKForwardingTests: DPDKTestCase {
    static let gatewayMAC = K8sDpEntities.gatewayMAC

    func startTestbed(ports: Int) async throws -> (P4InfoIndex, Data) {
        testbed = try await DPDKTestbed.started(ports: ports)
        return try DPDKTestbed.program()
    }

    /// The route to a pod: `to_pod(port, pod MAC, gateway MAC)`.
    static func route(_ p4info: P4InfoIndex, _ address: String, port: UInt64, mac: Frames.MAC) throws -> P4_V1_TableEntry {
        try K8sDpEntities(p4info: p4info).route(address, port: port, mac: mac)
    }

    func testPipelinePushIsReadBackAndIPv4IsForwardedWithMACRewrite() async throws {
        let (p4info, deviceConfig) = try await startTestbed(ports: 2)
        let stored = try await testbed.withClient { client in
            try await client.write([.insert(P4_V1_Entity(try Self.route(p4info, "10.0.0.2", port: 1, mac: Self.backendMAC)))])
            return try await client.getForwardingPipelineConfig()
        }
        XCTAssertEqual(stored?.p4DeviceConfig, deviceConfig, "Get returns the pushed p4_device_config")

        let toPod = Frames.udp(srcMAC: Self.clientMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.2", srcPort: 4000, dstPort: 53)
        let elsewhere = Frames.udp(srcMAC: Self.clientMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.9", srcPort: 4000, dstPort: 53)
        let out = try testbed.exchange([toPod, toPod, elsewhere], from: 0, at: 1).compactMap(Frames.parseUDP)
        XCTAssertEqual(out.count, 2, "the two frames to 10.0.0.2 leave port 1, the one to 10.0.0.9 does not: \(out)")
        for frame in out {
            XCTAssertEqual(frame.dst, "10.0.0.2")
            XCTAssertEqual(frame.dstMAC, Self.backendMAC, "to_pod writes the pod's MAC")
            XCTAssertEqual(frame.srcMAC, Self.gatewayMAC, "to_pod writes the gateway MAC")
            XCTAssertTrue(frame.ipChecksumValid && frame.udpChecksumValid)
        }
        // The miss takes the default, to_host(port 0): it comes back out of port 0.
        let back = try testbed.exchange([elsewhere], from: 0, at: 0).compactMap(Frames.parseUDP).filter { $0.dst == "10.0.0.9" }
        XCTAssertEqual(back.count, 1, "the default entry sends unknown destinations to the host port")
    }

    func testARPGoesToTheProxyPort() async throws {
        let (p4info, _) = try await startTestbed(ports: 3)
        try await testbed.withClient { client in
            let entry = try p4info.tableEntry(
                "arp_to_port", match: [.exact("hdr.arp.tpa", P4Value(bytes: Frames.ipv4("169.254.1.1")))], action: "arp_forward",
                params: ["port": 2]
            )
            try await client.write([.insert(P4_V1_Entity(entry))])
        }
        let request = Frames.arpRequest(senderMAC: Self.clientMAC, sender: "10.0.0.1", target: "169.254.1.1")
        let atProxy = try testbed.exchange([request], from: 0, at: 2)
        XCTAssertEqual(atProxy, [request], "the who-has for the gateway reaches the proxy's port unchanged")
        let other = Frames.arpRequest(senderMAC: Self.clientMAC, sender: "10.0.0.1", target: "10.0.0.7")
        XCTAssertEqual(try testbed.exchange([other], from: 0, at: 2), [], "ARP for another address takes the default (port 0)")
    }

    func testServiceIsDNATedToTheBackendAndTheReplyReverseNATed() async throws {
        let (p4info, _) = try await startTestbed(ports: 2)
        let k8s = K8sDpEntities(p4info: p4info)
        try await testbed.withClient { client in
            try await client.write([
                .insert(P4_V1_Entity(try Self.route(p4info, "10.0.0.1", port: 0, mac: Self.clientMAC))),
                .insert(P4_V1_Entity(try Self.route(p4info, "10.0.0.3", port: 1, mac: Self.backendMAC))),
            ] + k8s.service("10.96.0.10", port: 80, index: 5, groupID: 7, backend: "10.0.0.3"))
        }
        let request = Frames.udp(srcMAC: Self.clientMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.1", dst: "10.96.0.10", srcPort: 5555, dstPort: 80)
        let atBackend = try testbed.exchange([request], from: 0, at: 1).compactMap(Frames.parseUDP)
        XCTAssertEqual(atBackend.count, 1, "the request reaches the backend's port")
        if let frame = atBackend.first {
            XCTAssertEqual(frame.dst, "10.0.0.3", "DNAT to the backend address")
            XCTAssertEqual(frame.dstPort, 8080, "DNAT to the backend port")
            XCTAssertEqual(frame.src, "10.0.0.1")
            XCTAssertEqual(frame.dstMAC, Self.backendMAC)
            XCTAssertTrue(frame.ipChecksumValid && frame.udpChecksumValid, "checksums updated with the addresses")
        }
        let reply = Frames.udp(srcMAC: Self.backendMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.3", dst: "10.0.0.1", srcPort: 8080, dstPort: 5555)
        let atClient = try testbed.exchange([reply], from: 1, at: 0).compactMap(Frames.parseUDP)
        XCTAssertEqual(atClient.count, 1, "the reply reaches the client's port")
        if let frame = atClient.first {
            XCTAssertEqual(frame.src, "10.96.0.10", "reverse NAT back to the Service address")
            XCTAssertEqual(frame.srcPort, 80, "reverse NAT back to the Service port")
            XCTAssertEqual(frame.dst, "10.0.0.1")
            XCTAssertTrue(frame.ipChecksumValid && frame.udpChecksumValid)
        }
        // The Service's counter (to_service's service_index) saw the request.
        let cells = try await testbed.withClient { client in
            try await client.read([try p4info.counterEntries("service_counters", index: 5)])
        }
        XCTAssertEqual(cells.first?.counterEntry.data.packetCount, 1, "service_counters[5] counts the DNAT'd request")

        // A second backend takes slot 1 and the group lists both slots: new flows (the learner
        // pins old ones) spread over both. Then the group lists slot 1 only: new flows go to
        // the second backend only.
        try await testbed.withClient { client in
            try await client.write([
                .insert(P4_V1_Entity(try Self.route(p4info, "10.0.0.4", port: 1, mac: Self.backendMAC))),
                .insert(P4_V1_Entity(try k8s.slotMember(2))),
                .insert(P4_V1_Entity(try k8s.slot(service: 5, 1, backend: "10.0.0.4"))),
            ])
            try await client.write([.modify(P4_V1_Entity(try k8s.group(7, members: [1, 2])))])
        }
        // Client ports spread over many bits: the selector's CRC32 is linear, so ports
        // differing only in a few low bits can all land on one member.
        func backends(clientPorts: [UInt16]) throws -> Set<String> {
            let flows = clientPorts.map { Frames.udp(srcMAC: Self.clientMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.1", dst: "10.96.0.10", srcPort: $0, dstPort: 80) }
            return Set(try testbed.exchange(flows, from: 0, at: 1).compactMap(Frames.parseUDP).map(\.dst))
        }
        XCTAssertEqual(try backends(clientPorts: (0..<16).map { UInt16(1024 + $0 * 3989) }), ["10.0.0.3", "10.0.0.4"], "16 new flows use both slots")
        try await testbed.withClient { client in try await client.write([.modify(P4_V1_Entity(try k8s.group(7, members: [2])))]) }
        XCTAssertEqual(try backends(clientPorts: (16..<24).map { UInt16(1024 + $0 * 2003) }), ["10.0.0.4"], "after slot 0 left the group, new flows use slot 1")
    }

    func testRefusedWriteLeavesReadUnchangedAndCountersComeFromThePipeline() async throws {
        let (p4info, _) = try await startTestbed(ports: 2)
        let good = try Self.route(p4info, "10.0.0.2", port: 1, mac: Self.backendMAC)
        // A priority DPDK's wildcard table cannot order: the target refuses it.
        let refused = try p4info.tableEntry(
            "acl_egress_rules", match: [.exact("meta.acl_id", 1), .range("meta.l4_dst_port", low: 80, high: 90)], action: "acl_allow",
            priority: Int32.max
        )
        let failures = try await testbed.withClient { client -> [P4UpdateFailure] in
            do {
                try await client.write([.insert(P4_V1_Entity(good)), .insert(P4_V1_Entity(refused))])
                return []
            } catch let error as P4RuntimeError {
                return error.failures
            }
        }
        XCTAssertEqual(failures.map(\.index), [1], "only the refused update fails: \(failures)")
        XCTAssertEqual(failures.first?.canonicalCode, .outOfRange)
        let (routes, rules) = try await testbed.withClient { client in
            (try await client.readTableEntries("ipv4_to_port"), try await client.readTableEntries("acl_egress_rules"))
        }
        XCTAssertEqual(routes.count, 1, "the good update is applied")
        XCTAssertEqual(rules, [], "the refused entry is neither in the pipeline nor in Read")

        // A range rule the target accepts: 80...90 becomes prefix entries at one priority.
        let accepted = try p4info.tableEntry(
            "acl_egress_rules", match: [.exact("meta.acl_id", 1), .range("meta.l4_dst_port", low: 80, high: 90)], action: "acl_allow",
            priority: 10
        )
        try await testbed.withClient { client in try await client.write([.insert(P4_V1_Entity(accepted))]) }
        let readBack = try await testbed.withClient { client in try await client.readTableEntries("acl_egress_rules") }
        XCTAssertEqual(readBack.count, 1, "one P4Runtime entry, however many DPDK entries")

        let frame = Frames.udp(srcMAC: Self.clientMAC, dstMAC: Self.gatewayMAC, src: "10.0.0.1", dst: "10.0.0.2", srcPort: 4000, dstPort: 53)
        XCTAssertEqual(try testbed.exchange([frame, frame, frame], from: 0, at: 1).count, 3)
        let hits = try await testbed.withClient { client in
            try await client.read([try p4info.counterEntries("table_counters", index: 2)])  // TC_IPV4_TO_PORT_HIT
        }
        XCTAssertEqual(hits.first?.counterEntry.data.packetCount, 3, "table_counters[ipv4_to_port hit] counts the three frames")
        XCTAssertGreaterThan(hits.first?.counterEntry.data.byteCount ?? 0, 0)
        // A write presets the cell in the pipeline.
        let reset = try await testbed.withClient { client in
            try await client.write([.modify(P4_V1_Entity(P4_V1_CounterEntry.with {
                $0.counterID = try p4info.counter("table_counters").id
                $0.index = .with { $0.index = 2 }
                $0.data = P4_V1_CounterData()
            }))])
            return try await client.read([try p4info.counterEntries("table_counters", index: 2)])
        }
        XCTAssertEqual(reset.first?.counterEntry.data.packetCount, 0)
    }

    func testBadDeviceConfigIsRefusedAndSIGTERMStopsGracefully() async throws {
        testbed = try DPDKTestbed(ports: 1)
        try testbed.start()
        let (p4info, _) = try DPDKTestbed.program()
        let outcome = try await testbed.withClient { client -> String in
            do {
                try await client.setForwardingPipelineConfig(p4info, deviceConfig: Data("{\"spec\": \"nonsense line\", \"context\": {\"tables\": []}}".utf8))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(outcome.contains("context JSON has no match table"), "a context that does not match the P4Info is refused by name: \(outcome)")
        let config = try await testbed.withClient { client in try await client.getForwardingPipelineConfig() }
        XCTAssertNil(config, "nothing was committed")
        XCTAssertEqual(testbed.stop(), 0, "SIGTERM is a graceful exit")
        XCTAssertTrue(testbed.log.contains("--no-pci") || testbed.log.contains("af_packet ports"), testbed.log)
    }
}
