/// Programming the target failed. The message says what happened and what state the target
/// was left in; `underlying` keeps the P4Runtime error for logs.
public struct DataplaneError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case writeRefused, targetUnavailable, undoFailed, notReady, badPipeline }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The target refused updates; the change was undone.
        public static let writeRefused = Code(.writeRefused)
        /// The target could not be reached or failed the whole request.
        public static let targetUnavailable = Code(.targetUnavailable)
        /// A failed change could not be undone; reconciliation repairs the target.
        public static let undoFailed = Code(.undoFailed)
        /// The manager has no primary connection with a pipeline yet.
        public static let notReady = Code(.notReady)
        /// The P4Info or device config is not the program this manager drives.
        public static let badPipeline = Code(.badPipeline)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
