import GRPCCore
@testable import InfraChannel
import XCTest

final class AccessPolicyTests: XCTestCase {
    let policy = AccessPolicy(
        rules: [
            .init(identity: "spiffe://td/agent/node-1", access: .readWrite),
            .init(identity: "spiffe://td/operator/*", access: .readOnly),
        ],
        readMethods: ["infra.v1.InfraManager/Status"]
    )
    let sync = MethodDescriptor(fullyQualifiedService: "infra.v1.InfraManager", method: "Sync")
    let status = MethodDescriptor(fullyQualifiedService: "infra.v1.InfraManager", method: "Status")

    func testExactAndPrefixRules() {
        XCTAssertEqual(policy.access(for: ["spiffe://td/agent/node-1"]), .readWrite)
        XCTAssertNil(policy.access(for: ["spiffe://td/agent/node-10"]), "an exact rule must not match a longer name")
        XCTAssertEqual(policy.access(for: ["spiffe://td/operator/alice"]), .readOnly)
        XCTAssertNil(policy.access(for: ["spiffe://other/operator/alice"]))
        XCTAssertNil(policy.access(for: []))
    }

    func testReadOnlyMayOnlyRead() throws {
        XCTAssertNoThrow(try policy.authorize(identities: ["spiffe://td/operator/alice"], method: status))
        XCTAssertThrowsError(try policy.authorize(identities: ["spiffe://td/operator/alice"], method: sync)) { error in
            XCTAssertEqual((error as? RPCError)?.code, .permissionDenied)
            XCTAssertTrue("\(error)".contains("read-only"))
        }
        XCTAssertNoThrow(try policy.authorize(identities: ["spiffe://td/agent/node-1"], method: sync))
        XCTAssertThrowsError(try policy.authorize(identities: ["spiffe://td/agent/node-2"], method: status)) { error in
            XCTAssertEqual((error as? RPCError)?.code, .permissionDenied)
        }
    }
}

final class RPCMetricsInterceptorTests: XCTestCase {
    func testCodeLabelsAreSnakeCase() {
        XCTAssertEqual(RPCMetricsInterceptor.name(of: .permissionDenied), "permission_denied")
        XCTAssertEqual(RPCMetricsInterceptor.name(of: .invalidArgument), "invalid_argument")
        XCTAssertEqual(RPCMetricsInterceptor.name(of: .unavailable), "unavailable")
    }
}
