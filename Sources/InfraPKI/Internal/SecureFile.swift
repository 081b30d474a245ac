import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file writes with the permissions set at creation.
///
/// Keys are created with mode 0600 from the first byte on (never chmod-ed afterwards, which
/// would leave a window where the key is readable), written to a temporary file in the same
/// directory, fsync-ed, renamed over the target, and the directory fsync-ed so the rename
/// survives a power cut. A reader therefore sees the old file or the new one, never half.
enum SecureFile {
    static func write(_ text: String, to url: URL, mode: mode_t) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", temporary) }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary.path)  // no-op after a successful rename
        }
        // The umask may have narrowed the mode; a certificate should still be world-readable.
        // Keys (0600) are never widened, so this only ever adds read bits to certificates.
        if mode != 0o600, fchmod(fd, mode) != 0 { throw failure("set mode of", temporary) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write", temporary)
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw failure("fsync", temporary) }
        closed = true
        guard close(fd) == 0 else { throw failure("close", temporary) }
        guard rename(temporary.path, url.path) == 0 else { throw failure("rename onto", url) }
        try syncDirectory(directory)
    }

    /// Creates `url` (and missing parents) with `mode`; an existing directory is left as it is.
    static func makeDirectory(_ url: URL, mode: mode_t) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PKIError(.fileConflict, "\(url.path) exists and is not a directory")
            }
            return
        }
        try makeDirectory(url.deletingLastPathComponent(), mode: 0o755)
        guard mkdir(url.path, mode) == 0 || errno == EEXIST else { throw failure("create directory", url) }
        try syncDirectory(url.deletingLastPathComponent())
    }

    private static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory", url) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory", url) }
    }

    private static func failure(_ action: String, _ url: URL) -> PKIError {
        PKIError(.fileSystem, "cannot \(action) \(url.path): \(String(cString: strerror(errno)))")
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }

    /// The file's text, or nil when it is absent or unreadable. It deliberately avoids the
    /// throwing `String(contentsOf:)` under `try?`: with Swift 6.3.1 at -O on Linux that
    /// combination left a stale error behind and crashed release builds of infra-pki.
    static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// Planning check: a path we will create a directory at must not be a file.
    static func requireDirectoryOrAbsent(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw PKIError(.fileConflict, "\(url.path) exists and is not a directory")
        }
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
}
