import CNISpec
import XCTest

final class CNIEnvironmentTests: XCTestCase {
    let full = [
        "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee-1", "CNI_NETNS": "/var/run/netns/p1",
        "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin:/usr/lib/cni",
        "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
    ]

    func failure(_ environment: [String: String]) -> CNIError? {
        do {
            _ = try CNIEnvironment(environment)
            return nil
        } catch {
            return error as? CNIError
        }
    }

    func testParsesEverything() throws {
        let env = try CNIEnvironment(full)
        XCTAssertEqual(env.command, .add)
        XCTAssertEqual(env.containerID, "c0ffee-1")
        XCTAssertEqual(env.netns, "/var/run/netns/p1")
        XCTAssertEqual(env.ifname, "eth0")
        XCTAssertEqual(env.path, ["/opt/cni/bin", "/usr/lib/cni"])
        XCTAssertEqual(env.arg("K8S_POD_NAME"), "web-0")
        XCTAssertEqual(env.arg("K8S_POD_NAMESPACE"), "default")
        XCTAssertEqual(env.args.map(\.key), ["IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME"])
        XCTAssertNil(env.arg("K8S_POD_UID"))
    }

    func testMissingVariablesAreCode4AndNamed() {
        for name in ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"] {
            var environment = full
            environment[name] = nil
            let error = failure(environment)
            XCTAssertEqual(error?.code, .invalidEnvironment, name)
            XCTAssertTrue(error?.msg.contains(name) ?? false, "\(error?.msg ?? "") names \(name)")
        }
        let error = failure(["CNI_COMMAND": "ADD"])
        XCTAssertEqual(error?.msg, "missing environment variables CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH for ADD")
        XCTAssertEqual(failure([:])?.msg, "missing environment variable CNI_COMMAND")
    }

    func testPerCommandRequirements() throws {
        // DEL may come without a netns (it is gone); STATUS and GC need only CNI_PATH; VERSION nothing.
        var del = full
        del["CNI_COMMAND"] = "DEL"
        del["CNI_NETNS"] = nil
        XCTAssertNoThrow(try CNIEnvironment(del))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "STATUS", "CNI_PATH": "/usr/lib/cni"]))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"]))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "VERSION"]))
        XCTAssertEqual(failure(["CNI_COMMAND": "STATUS"])?.msg, "missing environment variable CNI_PATH for STATUS")
        XCTAssertEqual(failure(["CNI_COMMAND": "STATUS", "CNI_PATH": "::"])?.code, .invalidEnvironment, "an empty CNI_PATH is missing")
    }

    func testInvalidValuesAreCode4AndNamed() {
        let cases: [(String, String)] = [
            ("CNI_COMMAND", "PUT"), ("CNI_CONTAINERID", "-bad"), ("CNI_CONTAINERID", "a/b"),
            ("CNI_IFNAME", "a-very-long-ifname0"), ("CNI_IFNAME", "eth 0"), ("CNI_IFNAME", ".."), ("CNI_ARGS", "K8S_POD_NAME"),
        ]
        for (name, value) in cases {
            var environment = full
            environment[name] = value
            let error = failure(environment)
            XCTAssertEqual(error?.code, .invalidEnvironment, "\(name)=\(value)")
            XCTAssertTrue(error?.msg.contains(name) ?? false, "\(error?.msg ?? "") names \(name)")
        }
    }
}
