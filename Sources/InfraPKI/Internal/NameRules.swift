import Foundation

/// Syntax checks for the names that end up in certificates. They are strict on purpose:
/// a typo caught here is cheaper than a TLS handshake failing on a node at 3 a.m.
enum NameRules {
    /// RFC 1123 host name: labels of 1–63 letters, digits and inner hyphens, 253 chars in
    /// total. A single leading "*." is allowed for wildcard certificates; no other wildcard.
    static func validateDNSName(_ name: String, field: String) throws {
        var labels = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.first == "*" {
            labels.removeFirst()
            guard labels.count >= 2 else {
                throw PKIError(.invalidName, "\(field): wildcard DNS name \"\(name)\" must have at least two labels after \"*.\"")
            }
        }
        guard !labels.isEmpty, name.utf8.count <= 253 else {
            throw PKIError(.invalidName, "\(field): DNS name \"\(name)\" is empty or longer than 253 characters")
        }
        for label in labels where !isHostLabel(label) {
            throw PKIError(.invalidName, "\(field): \"\(name)\" is not a valid DNS name (bad label \"\(label)\")")
        }
    }

    /// A DNS name-constraint subtree: a host name, optionally with a leading "." meaning
    /// "subdomains only" (the form OpenSSL and RFC 5280 both accept).
    static func validateDNSConstraint(_ name: String, field: String) throws {
        let body = name.hasPrefix(".") ? String(name.dropFirst()) : name
        guard !body.hasPrefix("*") else {
            throw PKIError(.invalidName, "\(field): name constraint \"\(name)\" may not contain a wildcard")
        }
        try validateDNSName(body, field: field)
    }

    static func isHostLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Subject attribute text: non-empty, at most 64 characters (the X.520 upper bound for
    /// commonName and organizationName), and no control characters.
    static func validateCommonName(_ value: String, field: String) throws {
        guard !value.isEmpty, value.count <= 64 else {
            throw PKIError(.invalidName, "\(field): \"\(value)\" must be 1 to 64 characters")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PKIError(.invalidName, "\(field): \"\(value)\" contains control characters")
        }
    }

    /// Any URI with an RFC 3986 scheme; spiffe:// URIs must also be valid SPIFFE IDs because
    /// peers authorise on them.
    static func validateURI(_ uri: String, field: String) throws {
        guard let colon = uri.firstIndex(of: ":"), colon != uri.startIndex else {
            throw PKIError(.invalidURI, "\(field): \"\(uri)\" has no scheme")
        }
        let scheme = Array(uri[..<colon].utf8)
        let schemeOK = isLetter(scheme[0]) && scheme.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard schemeOK, uri.index(after: colon) != uri.endIndex else {
            throw PKIError(.invalidURI, "\(field): \"\(uri)\" has no valid scheme")
        }
        guard uri.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }),
              URL(string: uri) != nil else {
            throw PKIError(.invalidURI, "\(field): \"\(uri)\" is not a well-formed URI")
        }
        if String(decoding: scheme, as: UTF8.self).lowercased() == "spiffe" {
            try SPIFFE.validate(uri, field: field)
        }
    }
}
