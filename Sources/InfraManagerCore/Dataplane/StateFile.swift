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

    /// Streams the JSON into the file a buffer at a time: for 10,000 services the whole
    /// text is ~20 MB, and holding it (in a buffer that grows by doubling) added tens of MiB
    /// to the manager's peak RSS at every save.
    /// The file's size in bytes, 0 when there is none.
    var size: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

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
    /// The JSON `JSONEncoder` (sorted keys) writes for `contents`, built a few hundred objects
    /// at a time. Why not in one call: the encoder first builds a tree of every value, and
    /// for 10,000 services and 100,000 member ids that tree took hundreds of MiB for the
    /// moment of each save, which set the manager's peak RSS. The reader is `JSONDecoder`,
    /// unchanged.
    static func encoded(_ contents: Contents) throws -> Data {
        var whole = Data()
        try encode(contents) { whole.append($0) }
        return whole
    }

    /// The same JSON as `encoded`, handed to `sink` in pieces of about `flushSize` bytes.
    static func encode(_ contents: Contents, flushSize: Int = 1 << 20, into sink: (Data) throws -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var out = Data()
        func flushIfFull() throws {
            guard out.count >= flushSize else { return }
            try sink(out)
            out.removeAll(keepingCapacity: true)
        }
        // Keys in the order `.sortedKeys` gives them, so the file is the same either way.
        func key(_ name: String, first: Bool = false) {
            out.append(contentsOf: Array("\(first ? "" : ",")\"\(name)\":".utf8))
        }
        func value(_ item: some Encodable) throws { out.append(try encoder.encode(item)) }
        func array<Item: Encodable>(_ items: [Item]) throws {
            out.append(UInt8(ascii: "["))
            // JSONEncoder builds a tree of the whole value before writing it, so the chunk size
            // bounds that transient tree: chunks of 64 instead of 512 services lowered the
            // manager's peak RSS at 10,000 services by ~6 MiB, at no measurable cost in time.
            for start in stride(from: 0, to: items.count, by: 64) {
                let chunk = try encoder.encode(Array(items[start..<min(start + 64, items.count)]))
                if start > 0 { out.append(UInt8(ascii: ",")) }
                out.append(chunk.dropFirst().dropLast())
                try flushIfFull()
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "{"))
        key("endpoints", first: true); try array(contents.endpoints)
        key("format"); try value(contents.format)
        key("generation"); try value(contents.generation)
        if let host = contents.hostInterface { key("hostInterface"); try value(host) }
        key("ids")
        out.append(UInt8(ascii: "{"))
        key("acls", first: true); try array(contents.ids.acls)
        key("services"); try array(contents.ids.services)
        out.append(UInt8(ascii: "}"))
        key("pods"); try array(contents.pods)
        key("policies"); try array(contents.policies)
        key("services"); try array(contents.services)
        out.append(UInt8(ascii: "}"))
        try sink(out)
    }
}
