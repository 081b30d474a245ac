import Glibc
import Netlink
import XCTest

/// The runner's thread rule: one thread, the right namespace inside, the original after.
final class NamespaceRunnerTests: NamespaceTestCase {
    /// (namespace inode, thread path) as seen by the runner's thread.
    private static func whereAmI() -> (UInt64, String) {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        let thread = count > 0 ? String(cString: Array(buffer[0..<count]) + [0]) : "?"
        return (namespaceInode("/proc/thread-self/ns/net") ?? 0, thread)
    }

    func testRunsInsideTheNamespaceOnOneThreadAndReturns() async throws {
        let ns = try makeNamespace()
        let home = try XCTUnwrap(namespaceInode("/proc/self/ns/net"))
        let target = try XCTUnwrap(namespaceInode(ns.namespace.path))
        XCTAssertNotEqual(home, target)

        let (before, thread1) = try await runner.run { _ in Self.whereAmI() }
        let (inside, thread2) = try await runner.run(in: ns.namespace) { _ in Self.whereAmI() }
        let (after, thread3) = try await runner.run { _ in Self.whereAmI() }
        XCTAssertEqual(before, home)
        XCTAssertEqual(inside, target)
        XCTAssertEqual(after, home)
        XCTAssertEqual(thread1, thread2)
        XCTAssertEqual(thread2, thread3)
    }

    func testOriginalNamespaceIsRestoredAfterAnError() async throws {
        struct Boom: Error {}
        let ns = try makeNamespace()
        let home = try XCTUnwrap(namespaceInode("/proc/self/ns/net"))
        do {
            try await runner.run(in: ns.namespace) { _ in throw Boom() }
            XCTFail("the body's error must come out")
        } catch is Boom {}
        // A kernel error inside the namespace, too.
        do {
            try await runner.run(in: ns.namespace) { socket in _ = try socket.link(named: "missing0") }
            XCTFail("missing0 does not exist")
        } catch let error as NetlinkError {
            XCTAssertEqual(error.code, .notFound)
        }
        let (after, _) = try await runner.run { _ in Self.whereAmI() }
        XCTAssertEqual(after, home)
        // And a socket opened afterwards sees the namespace's own lo only when asked to.
        let namesInside = try await runner.run(in: ns.namespace) { socket in try socket.links().map(\.name) }
        XCTAssertEqual(namesInside, ["lo"])
    }

    func testConcurrentCallersEachGetTheirNamespace() async throws {
        let first = try makeNamespace()
        let second = try makeNamespace()
        let inodes = [first.namespace: namespaceInode(first.namespace.path), second.namespace: namespaceInode(second.namespace.path)]
        let runner = self.runner
        let results = try await withThrowingTaskGroup(of: (NetworkNamespace, UInt64).self) { group in
            for index in 0..<40 {
                let namespace = index % 2 == 0 ? first.namespace : second.namespace
                group.addTask { (namespace, try await runner.run(in: namespace) { _ in Self.whereAmI().0 }) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 40)
        for (namespace, inode) in results { XCTAssertEqual(inode, inodes[namespace] ?? nil, "\(namespace)") }
        let home = namespaceInode("/proc/self/ns/net")
        let (after, _) = try await runner.run { _ in Self.whereAmI() }
        XCTAssertEqual(after, home)
    }
}
