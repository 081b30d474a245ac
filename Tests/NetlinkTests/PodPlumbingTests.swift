import Foundation
import InfraNet
import Netlink
import XCTest

/// The CNI ADD sequence done through the module, then checked with iproute2's JSON output.
final class PodPlumbingTests: NamespaceTestCase {
    let gateway = IPAddress("169.254.1.1")!
    let gatewayMAC = MACAddress("ee:ee:ee:ee:ee:ee")!
    let podMAC = MACAddress("02:42:0a:f4:01:07")!
    let podAddress = CIDR("10.244.1.7/32")!
    let serviceRoute = CIDR("10.96.0.0/12")!

    /// Veth in a "node" namespace, one end moved into a "pod" namespace and plumbed there.
    private func plumb() async throws -> (node: String, pod: String, hostEnd: String, podLink: Link) {
        let node = try makeNamespace()
        let pod = try makeNamespace()
        let id = suffix()
        let hostEnd = "nlh\(id)"
        let podEnd = "nlp\(id)"
        let podNamespace = pod.namespace
        try await runner.run(in: node.namespace) { socket in
            try socket.createVethPair(name: hostEnd, peerName: podEnd)
            try socket.moveLink(try socket.link(named: podEnd), to: podNamespace)
            try socket.setLink(try socket.link(named: hostEnd), up: true)
        }
        let (gateway, gatewayMAC, podMAC, podAddress, serviceRoute) = (gateway, gatewayMAC, podMAC, podAddress, serviceRoute)
        let podLink = try await runner.run(in: pod.namespace) { socket -> Link in
            let moved = try socket.link(named: podEnd)
            let link = try socket.renameLink(moved, to: "eth0")
            try socket.setMACAddress(podMAC, of: link)
            try socket.setMTU(1450, of: link)
            try socket.setLink(link, up: true)
            try socket.addAddress(podAddress, to: link)
            try socket.addRoute(.defaultRoute(via: gateway, link: link))
            try socket.addRoute(Route(destination: serviceRoute, gateway: gateway, linkIndex: link.index, onLink: true))
            try socket.addNeighbour(gateway, macAddress: gatewayMAC, on: link)
            return try socket.link(named: "eth0")
        }
        return (node.name, pod.name, hostEnd, podLink)
    }

    func testPodInterfaceIsExactlyWhatWasAsked() async throws {
        let (node, pod, hostEnd, podLink) = try await plumb()

        // What the module reads back.
        XCTAssertEqual(podLink.name, "eth0")
        XCTAssertEqual(podLink.macAddress, podMAC)
        XCTAssertEqual(podLink.mtu, 1450)
        XCTAssertTrue(podLink.isUp)
        XCTAssertEqual(podLink.kind, "veth")

        // Links: the pod has lo and eth0, the node kept only its end.
        let podLinks = try ipJSON(pod, ["-d", "link", "show"])
        XCTAssertEqual(Set(podLinks.compactMap { $0["ifname"] as? String }), ["lo", "eth0"])
        let eth0 = try XCTUnwrap(podLinks.first { $0["ifname"] as? String == "eth0" })
        XCTAssertEqual(eth0["address"] as? String, podMAC.description)
        XCTAssertEqual(eth0["mtu"] as? Int, 1450)
        XCTAssertEqual(eth0["ifindex"] as? Int, Int(podLink.index))
        XCTAssertTrue((eth0["flags"] as? [String] ?? []).contains("UP"), "\(eth0)")
        XCTAssertEqual((eth0["linkinfo"] as? [String: Any])?["info_kind"] as? String, "veth")
        let nodeLinks = try ipJSON(node, ["link", "show"])
        XCTAssertEqual(Set(nodeLinks.compactMap { $0["ifname"] as? String }), ["lo", hostEnd])

        // Addresses: exactly the pod address.
        let addresses = try ipJSON(pod, ["-4", "addr", "show", "dev", "eth0"])
        let info = addresses.flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(info.count, 1, "\(info)")
        XCTAssertEqual(info.first?["local"] as? String, "10.244.1.7")
        XCTAssertEqual(info.first?["prefixlen"] as? Int, 32)

        // Routes: the on-link default and the service route, nothing else.
        let routes = try ipJSON(pod, ["-4", "route", "show"])
        XCTAssertEqual(routes.count, 2, "\(routes)")
        for destination in ["default", "10.96.0.0/12"] {
            let route = try XCTUnwrap(routes.first { $0["dst"] as? String == destination }, "\(routes)")
            XCTAssertEqual(route["gateway"] as? String, "169.254.1.1")
            XCTAssertEqual(route["dev"] as? String, "eth0")
            XCTAssertTrue((route["flags"] as? [String] ?? []).contains("onlink"), "\(route)")
        }

        // Neighbours: one permanent entry for the gateway.
        let neighbours = try ipJSON(pod, ["-4", "neigh", "show"])
        XCTAssertEqual(neighbours.count, 1, "\(neighbours)")
        XCTAssertEqual(neighbours.first?["dst"] as? String, "169.254.1.1")
        XCTAssertEqual(neighbours.first?["dev"] as? String, "eth0")
        XCTAssertEqual(neighbours.first?["lladdr"] as? String, gatewayMAC.description)
        XCTAssertEqual(neighbours.first?["state"] as? [String], ["PERMANENT"])
    }

    func testListingsAgreeWithWhatWasAdded() async throws {
        let (_, pod, _, podLink) = try await plumb()
        let (gateway, gatewayMAC, podAddress, serviceRoute) = (gateway, gatewayMAC, podAddress, serviceRoute)
        try await runner.run(in: .named(pod)) { socket in
            let links = try socket.links()
            XCTAssertEqual(Set(links.map(\.name)), ["lo", "eth0"])
            XCTAssertEqual(try socket.link(index: podLink.index), podLink)
            XCTAssertEqual(try socket.addresses(of: podLink, family: .v4).map(\.cidr), [podAddress])

            let routes = try socket.routes(family: .v4)
            XCTAssertEqual(routes.count, 2, "\(routes)")
            let byDestination = Dictionary(uniqueKeysWithValues: routes.map { ($0.destination.description, $0) })
            for destination in ["0.0.0.0/0", serviceRoute.description] {
                let route = try XCTUnwrap(byDestination[destination], "\(routes)")
                XCTAssertEqual(route.gateway, gateway)
                XCTAssertEqual(route.linkIndex, podLink.index)
                XCTAssertTrue(route.onLink)
                XCTAssertEqual(route.table, Route.mainTable)
            }
            XCTAssertTrue(byDestination["0.0.0.0/0"]!.isDefault)

            let neighbours = try socket.neighbours(of: podLink, family: .v4)
            XCTAssertEqual(neighbours, [Neighbour(linkIndex: podLink.index, address: gateway, macAddress: gatewayMAC, state: .permanent)])
        }
    }

    func testDeletesRemoveAndRepeatedDeletesAreNotFound() async throws {
        let (node, pod, hostEnd, podLink) = try await plumb()
        let (gateway, podAddress) = (gateway, podAddress)
        try await runner.run(in: .named(pod)) { socket in
            let defaultRoute = Route.defaultRoute(via: gateway, link: podLink)
            try socket.deleteRoute(defaultRoute)
            try socket.deleteNeighbour(gateway, on: podLink)
            try socket.deleteAddress(podAddress, from: podLink)
            for (label, again) in [
                ("route", { try socket.deleteRoute(defaultRoute) }),
                ("neighbour", { try socket.deleteNeighbour(gateway, on: podLink) }),
                ("address", { try socket.deleteAddress(podAddress, from: podLink) }),
            ] as [(String, () throws -> Void)] {
                XCTAssertThrowsError(try again(), label) { error in
                    XCTAssertEqual((error as? NetlinkError)?.code, .notFound, "\(label): \(error)")
                }
            }
        }
        XCTAssertEqual(try ipJSON(pod, ["-4", "route", "show", "default"]).count, 0)
        XCTAssertEqual(try ipJSON(pod, ["-4", "neigh", "show"]).count, 0)
        XCTAssertEqual(try ipJSON(pod, ["-4", "addr", "show", "dev", "eth0"]).flatMap { $0["addr_info"] as? [Any] ?? [] }.count, 0)

        // Deleting the pod end deletes the pair: the node's end goes too.
        try await runner.run(in: .named(pod)) { socket in
            try socket.deleteLink(podLink)
            XCTAssertThrowsError(try socket.deleteLink(named: "eth0")) { error in
                XCTAssertEqual((error as? NetlinkError)?.code, .notFound, "\(error)")
            }
        }
        XCTAssertEqual(Set(try ipJSON(node, ["link", "show"]).compactMap { $0["ifname"] as? String }), ["lo"])
        XCTAssertFalse(hostEnd.isEmpty)
    }

    func testIPv6AddressAndOnLinkRoute() async throws {
        let ns = try makeNamespace()
        let name = "nl6\(suffix())"
        let address = CIDR("fd00:10::2/64")!
        let routerLinkLocal = IPAddress("fe80::1")!
        let extra = CIDR("fd00:20::/64")!
        try await runner.run(in: ns.namespace) { socket in
            try socket.createVethPair(name: name, peerName: name + "p")
            let link = try socket.link(named: name)
            try socket.setLink(link, up: true)
            try socket.setLink(try socket.link(named: name + "p"), up: true)
            try socket.addAddress(address, to: link, noDAD: true)
            try socket.addRoute(Route(destination: extra, gateway: routerLinkLocal, linkIndex: link.index, onLink: true))
            XCTAssertTrue(try socket.addresses(of: link, family: .v6).map(\.cidr).contains(address))
            let routes = try socket.routes(family: .v6)
            XCTAssertTrue(routes.contains { $0.destination == extra && $0.gateway == routerLinkLocal && $0.linkIndex == link.index }, "\(routes)")
        }
        let info = try ipJSON(ns.name, ["-6", "addr", "show", "dev", name]).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
        let global = try XCTUnwrap(info.first { $0["local"] as? String == "fd00:10::2" }, "\(info)")
        XCTAssertEqual(global["prefixlen"] as? Int, 64)
        XCTAssertNil(global["tentative"], "noDAD address must not be tentative: \(global)")
        let routes = try ipJSON(ns.name, ["-6", "route", "show", "fd00:20::/64"])
        XCTAssertEqual(routes.count, 1, "\(routes)")
        XCTAssertEqual(routes.first?["gateway"] as? String, "fe80::1")
        XCTAssertEqual(routes.first?["dev"] as? String, name)
    }

    func testVethPeerCreatedDirectlyInAnotherNamespace() async throws {
        let node = try makeNamespace()
        let pod = try makeNamespace()
        let id = suffix()
        let podNamespace = pod.namespace
        try await runner.run(in: node.namespace) { socket in
            try socket.createVethPair(name: "nlh\(id)", peerName: "nlp\(id)", peerNamespace: podNamespace, mtu: 1400)
            XCTAssertThrowsError(try socket.link(named: "nlp\(id)"))
        }
        let podLinks = try ipJSON(pod.name, ["link", "show", "nlp\(id)"])
        XCTAssertEqual(podLinks.first?["mtu"] as? Int, 1400)
        XCTAssertEqual(try ipJSON(node.name, ["link", "show", "nlh\(id)"]).first?["mtu"] as? Int, 1400)
    }
}
