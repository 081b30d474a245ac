#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The change log beside the manager's state file: one line per accepted change, appended
/// before the agent is answered.
///
/// Why: rewriting the whole state file (6.7 MB of JSON at 10,000 services) after changes cost
/// a quarter of the manager's CPU under a stream of one-service changes, raised its peak RSS
/// by the size of the encoder's transient tree, and left every change acknowledged in the last
/// second or more only in memory. A record is the size of the change. It reaches the page
/// cache before the answer (so it survives a crash or kill of the manager) and the disk within
/// the writer's delay (fdatasync off the change's path), so a power cut loses at most that
/// delay, which the agent's Sync restores.
///
/// Layout: `<state file>.journal-<first generation>` segments, JSON lines of `Record`. A
/// compaction starts a new segment, writes the snapshot (state file) at the generation where
/// the new segment starts, and only then deletes the older segments; a start replays every
/// record newer than the snapshot. A crash in any step leaves either the old snapshot with all
/// its records or the new one (older records are skipped by generation).
final class StateJournal: Sendable {
    /// One accepted change: the store's generation after it, what it changed and the ids the
    /// dataplane handed out and freed for it.
    struct Record: Codable, Sendable, Equatable {
        var generation: UInt64
        var change: DesiredState.Change
        var ids: DataplaneIDs.Delta
    }

    private struct Segment {
        var descriptor: Int32
        var path: String
        var bytes = 0
        var unsynced = false
    }

    let statePath: String
    private let segment = Mutex<Segment?>(nil)

    init(statePath: String) {
        self.statePath = statePath
    }

    deinit {
        segment.withLock { if let open = $0 { _ = close(open.descriptor) } }
    }

    // MARK: Writing

    /// Opens a new segment for the records after `generation` and returns the paths of the
    /// older segments, which the caller deletes once a snapshot at `generation` is on disk.
    func startSegment(after generation: UInt64) throws -> [String] {
        let path = Self.segmentPath(statePath, first: generation + 1)
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateFileError("cannot create \(directory): \(error)")
        }
        // Truncated: a file of this name can only hold a torn line (had it held a record, the
        // generation would have moved past it).
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure("open \(path)") }
        // The new name itself must survive a power cut before records go into it.
        Self.syncDirectory(of: path)
        let previous = segment.withLock { current -> Segment? in
            defer { current = Segment(descriptor: descriptor, path: path) }
            return current
        }
        if let previous {
            _ = fdatasync(previous.descriptor)
            _ = close(previous.descriptor)
        }
        return try Self.segments(of: statePath).filter { $0.first <= generation }.map(\.path)
    }

    /// Appends `record` (one write of one line). Throws when no segment is open or the write
    /// fails; the caller then saves a snapshot instead.
    func append(_ record: Record) throws {
        var line = try StreamingJSONEncoder().encode(record)
        line.append(UInt8(ascii: "\n"))
        try segment.withLock { current in
            guard var open = current else { throw StateFileError("the state journal is not open") }
            try line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(open.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw Self.failure("append to \(open.path)")
                    }
                    offset += written
                }
            }
            open.bytes += line.count
            open.unsynced = true
            current = open
        }
    }

    /// Bytes in the open segment: when they outgrow the snapshot, a compaction pays off.
    var segmentBytes: Int { segment.withLock { $0?.bytes ?? 0 } }

    /// Puts what was appended so far on disk. The data is flushed through a duplicate of the
    /// descriptor, outside the lock, so appends (on the change path) never wait for the disk.
    func sync() throws {
        let duplicate = segment.withLock { current -> Int32? in
            guard var open = current, open.unsynced else { return nil }
            open.unsynced = false
            current = open
            return dup(open.descriptor)
        }
        guard let duplicate else { return }
        defer { close(duplicate) }
        guard duplicate >= 0, fdatasync(duplicate) == 0 else { throw Self.failure("fdatasync the state journal") }
    }

    func remove(_ paths: [String]) {
        for path in paths { unlink(path) }
    }

    // MARK: Reading

    /// The records newer than `generation`, oldest first, from every segment. A torn last line
    /// (a crash in the middle of an append) is dropped; so is everything after a missing
    /// generation (an append that failed), which `notes` reports. Any other unreadable line is
    /// an error naming the file and line.
    static func records(of statePath: String, after generation: UInt64) throws -> (records: [Record], notes: [String]) {
        let decoder = JSONDecoder()
        var records: [Record] = []
        var notes: [String] = []
        var last = generation
        let all = try segments(of: statePath)
        for (position, segment) in all.enumerated() {
            guard let data = FileManager.default.contents(atPath: segment.path) else {
                throw StateFileError("state journal \(segment.path) cannot be read")
            }
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where !line.isEmpty {
                let record: Record
                do {
                    record = try decoder.decode(Record.self, from: Data(line))
                } catch {
                    let isTornTail = position == all.count - 1 && number == lines.count - 1
                    if isTornTail {
                        notes.append("dropped a torn last line in \(segment.path) (a crash while appending)")
                        break
                    }
                    throw StateFileError("state journal \(segment.path) line \(number + 1) is not valid: \(error); move the state file and its journal away to start from an empty state (the agent's next Sync restores the desired state)")
                }
                if record.generation <= last { continue }
                guard record.generation == last + 1 else {
                    notes.append("generation \(last + 1) is missing from the state journal; replayed up to \(last), the agent's next Sync restores the rest")
                    return (records, notes)
                }
                records.append(record)
                last = record.generation
            }
        }
        return (records, notes)
    }

    /// The segments of `statePath`'s journal, oldest first.
    static func segments(of statePath: String) throws -> [(first: UInt64, path: String)] {
        let directory = (statePath as NSString).deletingLastPathComponent
        let prefix = (statePath as NSString).lastPathComponent + ".journal-"
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch where !FileManager.default.fileExists(atPath: directory) {
            return []
        }
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix(prefix), let first = UInt64(name.dropFirst(prefix.count)) else { return nil }
            return (first, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    static func segmentPath(_ statePath: String, first: UInt64) -> String {
        // Zero-padded so a directory listing shows the segments in order.
        let digits = String(first)
        return statePath + ".journal-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    private static func syncDirectory(of path: String) {
        let descriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ what: String) -> StateFileError {
        StateFileError("cannot \(what): \(String(cString: strerror(errno)))")
    }
}
