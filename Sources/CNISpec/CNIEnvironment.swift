/// The CNI commands (CNI_COMMAND).
public enum CNICommand: String, Sendable, CaseIterable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case status = "STATUS"
    case version = "VERSION"
    case gc = "GC"
}

/// The CNI_* environment of one plugin call, validated for its command.
public struct CNIEnvironment: Sendable, Hashable {
    public var command: CNICommand
    public var containerID: String?
    public var netns: String?
    public var ifname: String?
    /// CNI_ARGS as key/value pairs, in order (`K8S_POD_NAME=web;K8S_POD_NAMESPACE=default`).
    public var args: [(key: String, value: String)] { argPairs.map { ($0.key, $0.value) } }
    /// The directories of CNI_PATH, in order.
    public var path: [String]
    /// The whole environment the plugin was started with, to pass on to a delegate.
    public var raw: [String: String]

    private var argPairs: [ArgPair]
    private struct ArgPair: Hashable, Sendable { var key: String; var value: String }

    public func arg(_ key: String) -> String? { argPairs.first { $0.key == key }?.value }

    /// Reads and checks the variables `command` needs. Errors are code 4 and name every
    /// missing or invalid variable.
    public init(_ environment: [String: String]) throws(CNIError) {
        raw = environment
        guard let commandText = environment["CNI_COMMAND"], !commandText.isEmpty else {
            throw CNIError(.invalidEnvironment, "missing environment variable CNI_COMMAND")
        }
        guard let command = CNICommand(rawValue: commandText) else {
            throw CNIError(
                .invalidEnvironment, "invalid CNI_COMMAND \"\(commandText)\"",
                details: "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.command = command

        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        containerID = value("CNI_CONTAINERID")
        netns = value("CNI_NETNS")
        ifname = value("CNI_IFNAME")
        let pathList = (environment["CNI_PATH"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        path = pathList

        let required: [String] = switch command {
        case .add, .check: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]
        case .del: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]
        case .status, .gc: ["CNI_PATH"]
        case .version: []
        }
        let missing = required.filter { value($0) == nil || ($0 == "CNI_PATH" && pathList.isEmpty) }
        if !missing.isEmpty {
            throw CNIError(
                .invalidEnvironment,
                "missing environment variable\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) for \(command.rawValue)"
            )
        }

        var invalid: [String] = []
        if let containerID, !Self.isValidContainerID(containerID) {
            invalid.append("CNI_CONTAINERID \"\(containerID)\" (letters, digits, '_', '.', '-'; starting with a letter or digit)")
        }
        if let ifname, let reason = Self.ifnameProblem(ifname) {
            invalid.append("CNI_IFNAME \"\(ifname)\" (\(reason))")
        }
        var pairs: [ArgPair] = []
        argPairs = []
        if let argsText = environment["CNI_ARGS"], !argsText.isEmpty {
            for item in argsText.split(separator: ";", omittingEmptySubsequences: true) {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count != 2 || parts[0].isEmpty {
                    invalid.append("CNI_ARGS item \"\(item)\" (expected KEY=VALUE)")
                    continue
                }
                pairs.append(ArgPair(key: String(parts[0]), value: String(parts[1])))
            }
        }
        argPairs = pairs
        if !invalid.isEmpty {
            throw CNIError(.invalidEnvironment, "invalid environment variable\(invalid.count == 1 ? "" : "s"): \(invalid.joined(separator: "; "))")
        }
    }

    public static func isValidContainerID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return id.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Why `name` cannot be a Linux interface name, or nil.
    public static func ifnameProblem(_ name: String) -> String? {
        if name.utf8.count > 15 { return "longer than 15 bytes" }
        if name == "." || name == ".." { return "\".\" and \"..\" are not interface names" }
        if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) { return "contains '/', ':' or whitespace" }
        return nil
    }

    public static func == (a: CNIEnvironment, b: CNIEnvironment) -> Bool {
        a.command == b.command && a.containerID == b.containerID && a.netns == b.netns && a.ifname == b.ifname
            && a.argPairs == b.argPairs && a.path == b.path && a.raw == b.raw
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(command); hasher.combine(containerID); hasher.combine(netns); hasher.combine(ifname)
        hasher.combine(argPairs); hasher.combine(path)
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
    }
}
