/// The one error type InfraPKI throws.
///
/// `message` names the field and the offending value so that the CLI can print it as the
/// single line an operator needs; `file`/`line` point at the throw site for bug reports.
public struct PKIError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "PKIError.\(code): \(message) (\(file):\(line))" }
}

extension PKIError {
    /// A closed set of error kinds. A struct around a private enum, so new kinds can be added
    /// without breaking callers that switch over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidName, invalidAddress, invalidURI, invalidArgument
            case invalidKey, keyMismatch, unsupportedAlgorithm
            case invalidCertificate, notCertificateAuthority, outsideNameConstraints
            case invalidCSR, invalidProfile, fileConflict, fileSystem
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A DNS name, common name, identity name or trust domain is malformed.
        public static let invalidName = Code(.invalidName)
        /// An IP address or CIDR range does not parse.
        public static let invalidAddress = Code(.invalidAddress)
        /// A URI SAN lacks a scheme or is not a well-formed SPIFFE ID.
        public static let invalidURI = Code(.invalidURI)
        /// Any other bad input: empty usage, inverted validity window, bad fraction.
        public static let invalidArgument = Code(.invalidArgument)
        /// A private key cannot be parsed or serialised.
        public static let invalidKey = Code(.invalidKey)
        /// A private key does not belong to the certificate it is paired with.
        public static let keyMismatch = Code(.keyMismatch)
        /// The key type is not one InfraPKI issues or signs with.
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A certificate cannot be parsed, or was not issued by the expected CA.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// A certificate offered as a CA lacks CA:TRUE or keyCertSign.
        public static let notCertificateAuthority = Code(.notCertificateAuthority)
        /// A requested SAN lies outside the CA's name constraints.
        public static let outsideNameConstraints = Code(.outsideNameConstraints)
        /// A certificate signing request is malformed or its signature does not verify.
        public static let invalidCSR = Code(.invalidCSR)
        /// The profile YAML is malformed or inconsistent.
        public static let invalidProfile = Code(.invalidProfile)
        /// Existing files would be overwritten, or are not ours.
        public static let fileConflict = Code(.fileConflict)
        /// Reading or writing the filesystem failed.
        public static let fileSystem = Code(.fileSystem)

        public var description: String { wrapped.rawValue }
    }
}
