/// An error from the interface pool: discovery, allocation or its state file.
///
/// The code is a struct over a private enum (as ``ChannelError`` in InfraChannel), so codes can
/// be added without breaking a caller's switch; the CNI layer maps codes to CNI error codes
/// (`.poolExhausted` is the one a kubelet sees most). Every error records where it was raised.
public struct InterfacePoolError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case poolExhausted, physicalFunctionNotFound, discoveryFailed
            case unreadableState, corruptState, stateMismatch, stateWriteFailed
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Every interface the mode discovered is allocated.
        public static let poolExhausted = Code(.poolExhausted)
        /// `sriov`/`cdq`: the configured PF is not a netdev with a PCI device in sysfs.
        public static let physicalFunctionNotFound = Code(.physicalFunctionNotFound)
        /// sysfs could not be read (the netdev class directory is missing or unreadable).
        public static let discoveryFailed = Code(.discoveryFailed)
        /// The state file exists but cannot be read.
        public static let unreadableState = Code(.unreadableState)
        /// The state file is not the JSON this module writes; the pool refuses to start rather
        /// than forget allocations and hand an interface out twice.
        public static let corruptState = Code(.corruptState)
        /// The state file belongs to another mode or version.
        public static let stateMismatch = Code(.stateMismatch)
        /// Writing, syncing or renaming the state file failed; nothing was allocated or released.
        public static let stateWriteFailed = Code(.stateWriteFailed)

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
