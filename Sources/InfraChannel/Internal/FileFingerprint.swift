#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// What a set of files looked like when last read: a digest of their bytes.
///
/// Content (not mtime) decides, because Kubernetes replaces mounted secrets by swapping a
/// symlink, which can leave timestamps unchanged, and because a `touch` alone should not
/// cause a reload.
struct FileFingerprint: Hashable, Sendable {
    let digest: [UInt8]

    init(contents: [[UInt8]]) {
        var hasher = SHA256()
        for content in contents {
            withUnsafeBytes(of: UInt64(content.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: content)
        }
        self.digest = Array(hasher.finalize())
    }
}

/// Reads a whole file, following symlinks, or throws a ChannelError naming the path.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let handle = fopen(path, "rb") else {
        let reason = String(cString: strerror(errno))
        throw ChannelError(.unreadableFile, "cannot read \(path): \(reason)")
    }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = fread(&chunk, 1, chunk.count, handle)
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count {
            if ferror(handle) != 0 { throw ChannelError(.unreadableFile, "error while reading \(path)") }
            break
        }
    }
    return bytes
}
