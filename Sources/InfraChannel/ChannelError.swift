/// An error raised while setting up or securing the split channel.
///
/// Like grpc-swift-2's `RPCError`, the code is a struct over a private enum so that new codes
/// can be added without breaking exhaustive switches, and every error carries where it was
/// raised so that a log line points at the check that refused.
public struct ChannelError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unreadableFile, invalidCertificate, invalidKey, keyMismatch, untrustedCertificate
            case invalidAddress, invalidConfiguration
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        public static let unreadableFile = Code(.unreadableFile)
        public static let invalidCertificate = Code(.invalidCertificate)
        public static let invalidKey = Code(.invalidKey)
        public static let keyMismatch = Code(.keyMismatch)
        public static let untrustedCertificate = Code(.untrustedCertificate)
        public static let invalidAddress = Code(.invalidAddress)
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { String(describing: wrapped) }
    }

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

    public var description: String { message }
}
