import Foundation
import InfraNet
import XCTest

@testable import InterfacePool

/// A temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path + "/interface-pool-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A sysfs tree in a temporary directory, laid out as the kernel does: real netdev
/// directories under `devices/…/net/<name>`, `class/net/<name>` symlinks to them, and
/// `device` symlinks from a netdev to its (PCI or auxiliary) device.
struct FakeSysfs {
    let root: String
    var netClass: String { root + "/class/net" }

    init(in directory: TemporaryDirectory) throws {
        root = directory.path + "/sys"
        try FileManager.default.createDirectory(atPath: root + "/class/net", withIntermediateDirectories: true)
    }

    /// A device directory (`devices/<relative>`) with the given attribute files.
    @discardableResult
    func device(_ relative: String, attributes: [String: String] = [:]) throws -> String {
        let path = root + "/devices/" + relative
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, value) in attributes {
            try (value + "\n").write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
        }
        return path
    }

    /// A netdev under `device` (or a virtual one when nil), linked from class/net.
    func netdev(_ name: String, index: Int32, mac: String, device: String? = nil, tap: Bool = false) throws {
        let parent = device ?? (root + "/devices/virtual")
        let directory = parent + "/net/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "\(index)\n".write(toFile: directory + "/ifindex", atomically: false, encoding: .utf8)
        try (mac + "\n").write(toFile: directory + "/address", atomically: false, encoding: .utf8)
        if tap { try "0x1002\n".write(toFile: directory + "/tun_flags", atomically: false, encoding: .utf8) }
        if let device { try FileManager.default.createSymbolicLink(atPath: directory + "/device", withDestinationPath: device) }
        try FileManager.default.createSymbolicLink(atPath: netClass + "/" + name, withDestinationPath: directory)
    }

    /// `from` → `to`, as sysfs links a PF to its VFs (`virtfn0`).
    func link(_ from: String, to: String) throws {
        try FileManager.default.createSymbolicLink(atPath: from, withDestinationPath: to)
    }

    /// Takes a netdev out of this namespace, as moving it into a pod netns does.
    func removeNetdev(_ name: String) throws {
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: netClass + "/" + name)
        try FileManager.default.removeItem(atPath: netClass + "/" + name)
        try FileManager.default.removeItem(atPath: target)
    }

    var discovery: InterfaceDiscovery { InterfaceDiscovery(netClassRoot: netClass) }
}

/// Runs `ip` (or another tool); throws with its stderr when it fails.
@discardableResult
func ipCommand(_ arguments: [String], tool: String = "/usr/sbin/ip") throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "run", code: Int(process.terminationStatus), userInfo: [
            NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")): \(String(decoding: errorData, as: UTF8.self))",
        ])
    }
    return String(decoding: data, as: UTF8.self)
}

/// ifindex and MAC of a link in the host namespace (or in `netns`), from `ip -j link show`.
func linkFacts(_ name: String, netns: String? = nil) throws -> (index: Int32, mac: MACAddress) {
    var arguments = ["-j", "link", "show", "dev", name]
    if let netns { arguments = ["-n", netns] + arguments }
    let json = try ipCommand(arguments)
    let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
    guard let link = list?.first, let index = link["ifindex"] as? Int, let text = link["address"] as? String,
          let mac = MACAddress(text)
    else { throw NSError(domain: "linkFacts", code: 1, userInfo: [NSLocalizedDescriptionKey: "no facts for \(name): \(json)"]) }
    return (Int32(index), mac)
}

/// MAC addresses of every link in named netns `name`.
func macAddresses(inNamespace name: String) throws -> Set<MACAddress> {
    let json = try ipCommand(["-n", name, "-j", "link", "show"])
    let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return Set(list.compactMap { ($0["address"] as? String).flatMap(MACAddress.init) })
}

/// A short tag unique to this test process, for interface names (15 bytes at most).
let processTag = String(UInt32(getpid()) % 0xFFFF, radix: 16)

func assertPoolError<T>(
    _ expression: @autoclosure () async throws -> T, code: InterfacePoolError.Code, contains: [String] = [],
    file: StaticString = #filePath, line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail("expected \(code), got success", file: file, line: line)
    } catch let error as InterfacePoolError {
        XCTAssertEqual(error.code, code, "\(error.message)", file: file, line: line)
        for text in contains {
            XCTAssertTrue(error.message.contains(text), "\"\(error.message)\" lacks \"\(text)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected InterfacePoolError \(code), got \(error)", file: file, line: line)
    }
}
