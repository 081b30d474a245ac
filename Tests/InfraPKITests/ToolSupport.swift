import Foundation
import XCTest

/// Locates and runs the built `infra-pki` executable.
enum PKITool {
    /// The package root, found from this file's path (Tests/InfraPKITests/ToolSupport.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var defaultProfile: URL { packageRoot.appendingPathComponent("pki/profile.yaml") }

    /// Next to the test bundle first (same build configuration), then .build/debug.
    static func executable() throws -> String {
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("infra-pki"))
        }
        let arguments0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(arguments0.deletingLastPathComponent().appendingPathComponent("infra-pki"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/infra-pki"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("infra-pki is not built; run `swift build --product infra-pki` (looked in \(candidates.map(\.path)))")
        }
        return found.path
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(try executable(), arguments, stdin: stdin)
    }
}

/// Every regular file below `root` with its bytes, mode and modification time, to prove a
/// command wrote nothing (or exactly what it should).
struct DirectorySnapshot: Equatable {
    struct Entry: Equatable {
        var contents: Data
        var mode: Int
        var modified: Date
    }

    var entries: [String: Entry]

    init(_ root: URL) throws {
        entries = [:]
        guard FileManager.default.fileExists(atPath: root.path) else { return }
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            entries[String(url.path.dropFirst(root.path.count))] = Entry(
                contents: try Data(contentsOf: url),
                mode: (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1,
                modified: attributes[.modificationDate] as? Date ?? .distantPast
            )
        }
    }
}

extension String {
    var lines: [String] { split(separator: "\n").map(String.init) }
}
