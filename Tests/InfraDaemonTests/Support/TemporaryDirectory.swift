import Foundation

/// A fresh directory under /tmp, removed when the value is released. Paths stay short because
/// AF_UNIX socket paths are limited to 107 bytes.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/idt-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
