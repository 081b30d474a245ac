import Foundation
import InfraDaemon

/// The manager's state file: the desired state it last accepted and the ids it gave to
/// logical objects, so a restarted manager programs the same entries with the same ids before
/// any agent has reconnected, and its reconciliation finds nothing to rewrite.
///
/// Crash safety: the file is replaced whole by write-to-temporary, fsync, rename, fsync of
/// the directory, so after a crash it is either the old or the new snapshot, never a torn one.
/// It is a snapshot at one generation; the changes accepted after it are in the journal beside
/// it (`StateJournal`), which a start replays, and the snapshot is rewritten only when that
/// journal has outgrown it. Reconciliation removes whatever the target holds that the restored
/// state does not.
struct StateFile: Sendable {
    let path: String

    struct Contents: Codable, Sendable {
        static let currentFormat = 1
        var format = Contents.currentFormat
        var generation: UInt64
        var hostInterface: HostInterfaceIntent?
        var pods: [PodNetworkIntent]
        var services: [ServiceIntent]
        var policies: [PolicyIntent]
        var endpoints: [EndpointIntent]
        var ids: DataplaneIDs.Snapshot
    }

    static func contents(of state: DesiredState, generation: UInt64, ids: DataplaneIDs.Snapshot) -> Contents {
        Contents(
            generation: generation, hostInterface: state.hostInterface,
            pods: Array(state.pods.items.values), services: Array(state.services.items.values),
            policies: Array(state.policies.items.values), endpoints: Array(state.endpoints.items.values), ids: ids
        )
    }

    /// The saved contents, or nil when there is no file yet (a first start).
    func load() throws -> Contents? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw StateFileError("state file \(path) exists but cannot be read") }
            return nil
        }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: data)
        } catch {
            throw StateFileError("state file \(path) is not valid: \(error); move it away to start from an empty state (the agent's next Sync restores the desired state)")
        }
        guard contents.format == Contents.currentFormat else {
            throw StateFileError("state file \(path) has format \(contents.format); this manager reads format \(Contents.currentFormat)")
        }
        return contents
    }

    /// The file's size in bytes, 0 when there is none.
    var size: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Streams the JSON into the file a buffer at a time: holding the whole text (in a buffer
    /// that grows by doubling) added tens of MiB to the manager's peak RSS at every save.
    func save(_ contents: Contents) throws {
        do {
            try AtomicFile.write(to: path) { append in try Self.encode(contents, into: append) }
        } catch let error as StateFileError {
            throw error
        } catch {
            throw StateFileError("cannot save the state file: \(error)")
        }
    }
}

extension StateFile.Contents {
    /// The snapshot as a state: every object it lists, added the way a journal record adds
    /// them (every key stays marked as touched, for the first translation).
    var desiredState: DesiredState {
        var state = DesiredState()
        state.replay(DesiredState.Change(
            hostInterfaceChanged: true, hostInterface: hostInterface,
            pods: pods, services: services, policies: policies, endpoints: endpoints
        ))
        return state
    }
}

extension StateFile {
    /// The state file's JSON. `StreamingJSONEncoder` writes it as it walks the value, without
    /// `JSONEncoder`'s tree of the whole state (hundreds of MiB for 10,000 services, and most of
    /// the time of a save); the reader is `JSONDecoder`.
    static func encoded(_ contents: Contents) throws -> Data {
        Data(try StreamingJSONEncoder().encode(contents))
    }

    /// The same JSON as `encoded`, handed to `sink` in pieces of about `flushSize` bytes, so a
    /// save never holds the whole text (~7 MB at 10,000 services).
    static func encode(_ contents: Contents, flushSize: Int = 1 << 20, into sink: (Data) throws -> Void) throws {
        try StreamingJSONEncoder().encode(contents, flushSize: flushSize) { try sink(Data($0)) }
    }
}
