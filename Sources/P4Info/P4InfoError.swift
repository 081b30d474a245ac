/// An error raised while loading a P4Info or encoding a value or entity against it.
///
/// The code is a struct over a private enum (as in grpc-swift-2's `RPCError`) so codes can be
/// added without breaking exhaustive switches; every error carries the place that raised it.
public struct P4InfoError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unreadableFile, invalidP4Info, unknownName, valueOutOfRange, invalidEntity
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The P4Info file could not be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// The P4Info could not be parsed or breaks a rule lookups rely on (duplicate ids or names).
        public static let invalidP4Info = Code(.invalidP4Info)
        /// No table, match field, action, parameter, profile or counter has that name.
        public static let unknownName = Code(.unknownName)
        /// A value needs more bits than the field's or parameter's bitwidth.
        public static let valueOutOfRange = Code(.valueOutOfRange)
        /// An entity would break a P4Runtime rule the server enforces (wrong match kind,
        /// missing or extra parameter, action not allowed in the table, bad priority).
        public static let invalidEntity = Code(.invalidEntity)

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

    public var description: String { "\(code): \(message)" }
}
