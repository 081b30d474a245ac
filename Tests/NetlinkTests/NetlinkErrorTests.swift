import Glibc
import InfraNet
import Netlink
import XCTest

/// Errors name the operation, the object, the namespace and the kernel's errno text, and a
/// missing object is `notFound`.
final class NetlinkErrorTests: NamespaceTestCase {
    func testMissingLinkIsNotFound() async throws {
        let ns = try makeNamespace()
        let error = await netlinkError {
            _ = try await self.runner.run(in: ns.namespace) { socket in try socket.link(named: "nope0") }
        }
        XCTAssertEqual(error?.code, .notFound)
        XCTAssertEqual(error?.errno, ENODEV)
        XCTAssertEqual(error?.message, "find link nope0 in /var/run/netns/\(ns.name): No such device")

        let byIndex = await netlinkError {
            _ = try await self.runner.run(in: ns.namespace) { socket in try socket.link(index: 9999) }
        }
        XCTAssertEqual(byIndex?.code, .notFound)
        let delete = await netlinkError {
            try await self.runner.run(in: ns.namespace) { socket in try socket.deleteLink(named: "nope0") }
        }
        XCTAssertEqual(delete?.code, .notFound)
    }

    func testMissingNamespacePathIsNotFoundAndNamesThePath() async throws {
        let path = "/var/run/netns/nltest-missing-\(suffix())"
        let error = await netlinkError {
            try await self.runner.run(in: NetworkNamespace(path: path)) { _ in }
        }
        XCTAssertEqual(error?.code, .notFound)
        XCTAssertEqual(error?.message, "enter network namespace \(path): open \(path): No such file or directory")

        // Moving a link to a namespace that is gone: the same code, the link named.
        let ns = try makeNamespace()
        let name = "nlm\(suffix())"
        let move = await netlinkError {
            try await self.runner.run(in: ns.namespace) { socket in
                try socket.createVethPair(name: name, peerName: name + "p")
                try socket.moveLink(try socket.link(named: name), to: NetworkNamespace(path: path))
            }
        }
        XCTAssertEqual(move?.code, .notFound)
        XCTAssertEqual(move?.message, "move link \(name) to \(path): open \(path): No such file or directory")
    }

    func testPathThatIsNotANetworkNamespaceIsRefused() async throws {
        let error = await netlinkError {
            try await self.runner.run(in: NetworkNamespace(path: "/proc/self/ns/uts")) { _ in }
        }
        XCTAssertEqual(error?.code, .namespaceSwitch)
        XCTAssertEqual(error?.message, "enter network namespace /proc/self/ns/uts: Invalid argument")
    }

    func testDuplicateAddressCarriesTheErrnoText() async throws {
        let ns = try makeNamespace()
        let name = "nld\(suffix())"
        let cidr = CIDR("10.0.0.2/24")!
        let error = await netlinkError {
            try await self.runner.run(in: ns.namespace) { socket in
                try socket.createVethPair(name: name, peerName: name + "p")
                let link = try socket.renameLink(try socket.link(named: name), to: "eth0")
                try socket.addAddress(cidr, to: link)
                try socket.addAddress(cidr, to: link)
            }
        }
        XCTAssertEqual(error?.code, .alreadyExists)
        XCTAssertEqual(error?.errno, EEXIST)
        let expected = "add address 10.0.0.2/24 to eth0 in /var/run/netns/\(ns.name): File exists"
        XCTAssertTrue(error?.message.hasPrefix(expected) ?? false, "\(error?.message ?? "")")
        // The first address is there once.
        let info = try ipJSON(ns.name, ["-4", "addr", "show", "dev", "eth0"]).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(info.map { $0["local"] as? String }, ["10.0.0.2"])
    }

    func testDuplicateLinkNameAndBadInput() async throws {
        let ns = try makeNamespace()
        let name = "nlx\(suffix())"
        try await runner.run(in: ns.namespace) { socket in
            try socket.createVethPair(name: name, peerName: name + "p")
            XCTAssertThrowsError(try socket.createVethPair(name: name, peerName: name + "q")) { error in
                XCTAssertEqual((error as? NetlinkError)?.code, .alreadyExists, "\(error)")
            }
            XCTAssertThrowsError(try socket.createVethPair(name: "a-name-far-too-long", peerName: "x")) { error in
                XCTAssertEqual((error as? NetlinkError)?.code, .invalidArgument, "\(error)")
            }
            let link = try socket.link(named: name)
            XCTAssertThrowsError(try socket.setMTU(-1, of: link)) { error in
                XCTAssertEqual((error as? NetlinkError)?.code, .invalidArgument, "\(error)")
            }
            // A veth refuses an MTU below 68 for IPv4; the kernel says so.
            XCTAssertThrowsError(try socket.setMTU(10, of: link)) { error in
                let netlink = error as? NetlinkError
                XCTAssertEqual(netlink?.code, .invalidArgument, "\(error)")
                XCTAssertTrue(netlink?.message.hasPrefix("set MTU of \(name) to 10 in /var/run/netns/") ?? false, "\(error)")
            }
        }
    }
}
