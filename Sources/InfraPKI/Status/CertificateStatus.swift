import Foundation

/// One certificate found under the output directory, as `infra-pki status` reports it.
public struct CertificateStatus: Codable, Hashable, Sendable {
    public enum Problem: String, Codable, Hashable, Sendable, CaseIterable {
        case expired
        case notYetValid = "not-yet-valid"
        case keyMismatch = "key-mismatch"
        case wrongUsageForKind = "wrong-EKU-for-kind"
        case notSignedByCA = "not-signed-by-CA"
        case inRenewWindow = "in-renew-window"
        case missingFile = "missing-file"
        case unreadable
        /// The identity's copy of ca.crt is not the CA's certificate.
        case staleCAFile = "stale-ca-file"
    }

    /// "ca" or the identity directory name.
    public var name: String
    public var path: String
    public var kind: String?
    public var subject: String?
    public var issuer: String?
    public var sans: [String]
    public var usage: [String]
    public var notAfter: Date?
    /// Seconds until notAfter; negative once expired.
    public var residualSeconds: Double?
    public var problems: [Problem]
    /// Files that were expected but absent, relative to the output directory.
    public var missing: [String]

    init(name: String, path: String) {
        self.name = name
        self.path = path
        self.sans = []
        self.usage = []
        self.problems = []
        self.missing = []
    }
}
