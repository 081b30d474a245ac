import Foundation
import XCTest

/// A test class whose tests share one node, brought up once before the class's first test
/// and torn down after its last (also when a test fails). Subclasses name their pods with
/// `podNames` and reach the node with `try node()`; a node that failed to start fails every
/// test of the class with the reason.
class NodeTestCase: XCTestCase {
    /// The pods made at class set-up.
    class var podNames: [String] { ["a", "b"] }
    /// Pool interfaces beyond the pods', for pods a test adds later.
    class var spareInterfaces: Int { 1 }
    /// Called once the node is up, before the first test (start servers in pods here); a
    /// throw tears the node down and fails the class's tests with the reason.
    class func prepare(_ node: NodeHarness) throws {}

    nonisolated(unsafe) private static var nodes: [ObjectIdentifier: Result<NodeHarness, Error>] = [:]
    private static let nodesLock = NSLock()

    override class func setUp() {
        super.setUp()
        let started = Result { () throws -> NodeHarness in
            let node = try NodeHarness(configuration: .init(pods: podNames, spareInterfaces: spareInterfaces))
            do {
                try prepare(node)
            } catch {
                node.tearDown()
                throw error
            }
            return node
        }
        nodesLock.withLock { nodes[ObjectIdentifier(self)] = started }
    }

    override class func tearDown() {
        let started = nodesLock.withLock { nodes.removeValue(forKey: ObjectIdentifier(self)) }
        if case .success(let node) = started { node.tearDown() }
        super.tearDown()
    }

    /// This class's node; throws why it did not start.
    func node() throws -> NodeHarness {
        guard let started = Self.nodesLock.withLock({ Self.nodes[ObjectIdentifier(type(of: self))] }) else {
            throw NodeHarnessError("no node for \(type(of: self)): class setUp did not run")
        }
        return try started.get()
    }
}
