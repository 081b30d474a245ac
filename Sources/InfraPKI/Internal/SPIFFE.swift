/// SPIFFE ID syntax (spiffe://<trust-domain>/<path>), per the SPIFFE ID specification:
/// lower-case trust domain of [a-z0-9.-_], path segments of [A-Za-z0-9.-_], no "." or ".."
/// segments, no port, user info, query or fragment.
enum SPIFFE {
    static let prefix = "spiffe://"

    static func validate(_ uri: String, field: String) throws {
        guard let (trustDomain, segments) = split(uri) else {
            throw PKIError(.invalidURI, "\(field): \"\(uri)\" is not a SPIFFE ID (spiffe://<trust-domain>/<path>)")
        }
        try validateTrustDomain(trustDomain, field: field)
        for segment in segments where !isPathSegment(segment) {
            throw PKIError(.invalidURI, "\(field): \"\(uri)\" has an invalid path segment \"\(segment)\"")
        }
    }

    /// Splits a SPIFFE URI into trust domain and path segments, or nil if the shape is wrong.
    static func split(_ uri: String) -> (trustDomain: String, segments: [String])? {
        guard uri.lowercased().hasPrefix(prefix) else { return nil }
        let rest = uri.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let trustDomain = parts.first, !trustDomain.isEmpty, parts.count >= 2 else { return nil }
        return (trustDomain, Array(parts.dropFirst()))
    }

    static func validateTrustDomain(_ trustDomain: String, field: String) throws {
        let allowed = trustDomain.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard allowed, !trustDomain.isEmpty, trustDomain.utf8.count <= 255 else {
            throw PKIError(.invalidName, "\(field): trust domain \"\(trustDomain)\" must be lower-case letters, digits, '.', '-' or '_'")
        }
    }

    static func isPathSegment(_ segment: String) -> Bool {
        guard !segment.isEmpty, segment != ".", segment != ".." else { return false }
        return segment.utf8.allSatisfy { byte in
            NameRules.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
