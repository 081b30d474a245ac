/// The CNI spec versions this plugin reads configs in and answers in.
public enum CNIVersion {
    /// Oldest first. 0.1.0/0.2.0 results (ip4/ip6) are not produced.
    public static let supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]
    public static let latest = "1.1.0"

    public static func isSupported(_ version: String) -> Bool { supported.contains(version) }

    /// Numeric (major, minor, patch), or nil when `version` is not of that form.
    public static func components(_ version: String) -> (Int, Int, Int)? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == 3, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        return (numbers[0], numbers[1], numbers[2])
    }

    /// `a < b` by version number; unparsable versions sort first.
    public static func isOlder(_ a: String, than b: String) -> Bool {
        guard let ca = components(a) else { return components(b) != nil }
        guard let cb = components(b) else { return false }
        return ca < cb
    }

    /// Checks a config's `cniVersion`: code 1 (incompatible version) if it is not one of
    /// `supported`.
    public static func negotiate(_ requested: String) throws(CNIError) -> String {
        guard isSupported(requested) else {
            throw CNIError(
                .incompatibleVersion,
                "incompatible CNI version \"\(requested)\"",
                details: "supported versions: \(supported.joined(separator: ", "))"
            )
        }
        return requested
    }

    /// The newest of `candidates` not newer than `requested`, for talking to a delegate that
    /// does not know `requested`.
    public static func best(of candidates: [String], notNewerThan requested: String) -> String? {
        candidates.filter { components($0) != nil && !isOlder(requested, than: $0) }
            .max { isOlder($0, than: $1) }
    }

    /// The VERSION command's answer.
    public static func versionInfo(cniVersion: String = latest) -> JSONValue {
        .object([
            "cniVersion": .string(cniVersion),
            "supportedVersions": .array(supported.map { .string($0) }),
        ])
    }
}
