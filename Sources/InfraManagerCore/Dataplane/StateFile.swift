import Foundation
import InfraDaemon

/// The manager's state file: the desired state it last accepted and the ids it gave to
/// logical objects, so a restarted manager programs the same entries with the same ids before
/// any agent has reconnected, and its reconciliation finds nothing to rewrite.
///
/// Crash safety: the file is replaced whole by write-to-temporary, fsync, rename, fsync of
/// the directory, so after a crash it is either the old or the new snapshot, never a torn one.
/// Writes are coalesced (see `DataplaneProgrammer`), so the newest changes may be missing
/// after a crash; the agent's Sync after reconnecting brings them back, and reconciliation
/// removes whatever the target holds that the restored state does not.
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

    func save(_ contents: Contents) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(contents)
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw StateFileError("cannot save the state file: \(error)")
        }
    }
}

extension StateFile.Contents {
    var desiredState: DesiredState {
        var state = DesiredState()
        state.hostInterface = hostInterface
        for pod in pods { _ = state.pods.upsert(pod, for: pod.key) }
        for service in services { _ = state.services.upsert(service, for: service.name) }
        for policy in policies { _ = state.policies.upsert(policy, for: policy.id) }
        for endpoint in endpoints { _ = state.endpoints.upsert(endpoint, for: endpoint.id) }
        return state
    }
}
