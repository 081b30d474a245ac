import Glibc




/// An error from a netlink request or a network namespace switch.
///
/// The message names the operation, the object and, when the kernel refused, its errno text:
/// `add address 10.0.0.2/24 to eth0 in /var/run/netns/x: File exists`. When the kernel also
/// sent an extended-ack message it follows in parentheses.
///
/// `notFound` covers a missing link, address, route or neighbour and a namespace path that does
/// not exist, so a DEL path can treat it as success. Like `ChannelError`, the code is a struct
/// over a private enum (codes can be added without breaking switches) and the error records
/// where it was raised.
public struct NetlinkError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case notFound, alreadyExists, permissionDenied, invalidArgument, busy
            case namespaceSwitch, malformedReply, system
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL: the link, address, route, neighbour or
        /// namespace path does not exist.
        public static let notFound = Code(.notFound)
        /// EEXIST: the link name, address, route or neighbour is already there.
        public static let alreadyExists = Code(.alreadyExists)
        /// EPERM, EACCES: not root (CAP_NET_ADMIN / CAP_SYS_ADMIN).
        public static let permissionDenied = Code(.permissionDenied)
        /// EINVAL, ERANGE, ENETUNREACH and friends, or input this module refused before sending.
        public static let invalidArgument = Code(.invalidArgument)
        /// EBUSY.
        public static let busy = Code(.busy)
        /// setns into (or back out of) a namespace failed; the path exists but is not usable.
        public static let namespaceSwitch = Code(.namespaceSwitch)
        /// The kernel's reply could not be parsed or did not answer the request.
        public static let malformedReply = Code(.malformedReply)
        /// Any other errno, or a socket call failing.
        public static let system = Code(.system)

        public var description: String { String(describing: wrapped) }

        /// The code for a kernel errno (positive).
        static func forErrno(_ value: Int32) -> Code {
            switch value {
            case ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL: return .notFound
            case EEXIST: return .alreadyExists
            case EPERM, EACCES: return .permissionDenied
            case EINVAL, ERANGE, ENETUNREACH, EOPNOTSUPP, EAFNOSUPPORT, ENAMETOOLONG: return .invalidArgument
            case EBUSY: return .busy
            default: return .system
            }
        }
    }

    public var code: Code
    public var message: String
    /// The kernel's (or libc's) errno, when one caused the error.
    public var errno: Int32?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, errno: Int32? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.errno = errno
        self.file = file
        self.line = line
    }

    /// An error for `errno` while doing `what` ("add address 10.0.0.2/24 to eth0 in ...").
    init(errno value: Int32, _ what: String, kernelMessage: String? = nil, file: String = #fileID, line: Int = #line) {
        var text = "\(what): \(errnoText(value))"
        if let kernelMessage, !kernelMessage.isEmpty { text += " (\(kernelMessage))" }
        self.init(.forErrno(value), text, errno: value, file: file, line: line)
    }

    public var description: String { message }
}

/// strerror's text for an errno, e.g. "File exists".
func errnoText(_ value: Int32) -> String {
    guard let text = strerror(value) else { return "errno \(value)" }
    return String(cString: text)
}
