#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Replaces a file so that, whatever happens, it holds either the old or the new bytes: the
/// one way daemons write their state files (the manager's state, the agent's pod registry,
/// the interface pool's allocations).
///
/// The bytes go to `<path>.tmp` (mode 0600), which is fsync'd, renamed over `path`, and then
/// the directory is fsync'd so the rename itself survives a power cut. A `.tmp` left by a
/// crash is never read; the next write truncates it. Missing parent directories are created
/// with mode 0700.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { append in try append(data) }
    }

    /// Like `write(_:to:)`, with the bytes handed over piece by piece as `produce` makes
    /// them, so a large file never has to be held in memory whole. A `produce` that throws
    /// leaves the old file in place.
    public static func write(to path: String, _ produce: (_ append: (Data) throws -> Void) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AtomicFileError(message: "cannot create \(directory): \(error)")
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            // An old .tmp may have been created with another mode; the state file is 0600.
            guard fchmod(fd, 0o600) == 0 else { throw failure("chmod \(temporary)") }
            try produce { data in
                try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                    var offset = 0
                    while offset < buffer.count {
                        let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw failure("write \(temporary)")
                        }
                        offset += written
                    }
                }
            }
            guard fsync(fd) == 0 else { throw failure("fsync \(temporary)") }
            closed = true
            guard close(fd) == 0 else { throw failure("close \(temporary)") }
            guard rename(temporary, path) == 0 else { throw failure("rename \(temporary) to \(path)") }
        } catch {
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure("open \(directory)") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw failure("fsync \(directory)") }
    }

    private static func failure(_ what: String) -> AtomicFileError {
        AtomicFileError(message: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// A state file could not be written; the message names the step, the path and errno's text.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// `write(2)`; named apart because `AtomicFile.write` shadows it inside the enum.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
