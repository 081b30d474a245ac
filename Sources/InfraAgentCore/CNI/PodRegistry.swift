import Foundation
import InfraDaemon
import InfraAPI

/// One pod interface the CNI backend plumbed and the manager confirmed.
public struct PodRecord: Codable, Hashable, Sendable {
    public var containerID: String
    public var interfaceName: String
    public var netns: String
    public var namespace: String
    public var podName: String
    public var hostInterface: String
    public var macAddress: String
    public var ipAddresses: [String]

    public var podNetwork: Infra_V1_PodNetwork {
        .with {
            $0.key = .with { key in
                key.containerID = containerID
                key.interfaceName = interfaceName
            }
            $0.namespace = namespace
            $0.podName = podName
            $0.hostInterface = hostInterface
            $0.macAddress = macAddress
            $0.ipAddresses = ipAddresses
        }
    }
}

/// The pods the agent reports in every Sync, kept in a file so a restarted agent still
/// reports them. Written atomically (temporary file, fsync, rename) before a change counts.
public actor PodRegistry {
    public nonisolated let path: String
    private var records: [String: PodRecord]
    /// Pods the manager is being told about right now: created (CreatePodNetwork sent, not
    /// recorded yet) or deleted (DeletePodNetwork sent, not removed yet). A Sync taken in
    /// between must report what the manager holds once the call returns: reporting the file
    /// alone made a Sync between CreatePodNetwork and `insert` replace the manager's pods
    /// without the new one, and one during a delete bring the deleted pod back, each until
    /// the next Sync.
    private var announced: [String: PodRecord] = [:]
    private var withdrawn: Set<String> = []

    public init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            do {
                let list = try JSONDecoder().decode([PodRecord].self, from: data)
                records = Dictionary(list.map { (Self.key($0.containerID, $0.interfaceName), $0) }, uniquingKeysWith: { $1 })
            } catch {
                throw CNIBackendError("pod state file \(path) does not parse: \(error)")
            }
        } else {
            records = [:]
        }
    }

    static func key(_ containerID: String, _ interfaceName: String) -> String { containerID + "\u{0}" + interfaceName }

    public var all: [PodRecord] { records.values.sorted { ($0.containerID, $0.interfaceName) < ($1.containerID, $1.interfaceName) } }

    /// The pods a Sync reports: the recorded ones, with those being created and without those
    /// being deleted.
    public var reported: [PodRecord] {
        records.merging(announced) { _, new in new }
            .filter { !withdrawn.contains($0.key) }
            .values.sorted { ($0.containerID, $0.interfaceName) < ($1.containerID, $1.interfaceName) }
    }

    /// Called before CreatePodNetwork; `settle` after it and `insert` are done or undone.
    public func announce(_ record: PodRecord) {
        announced[Self.key(record.containerID, record.interfaceName)] = record
    }

    /// Called before DeletePodNetwork; `settle` after it and `remove` are done or undone.
    public func withdraw(containerID: String, interfaceName: String) {
        withdrawn.insert(Self.key(containerID, interfaceName))
    }

    /// Ends an `announce` or `withdraw`: from now on the file alone says whether the pod is there.
    public func settle(containerID: String, interfaceName: String) {
        let key = Self.key(containerID, interfaceName)
        announced[key] = nil
        withdrawn.remove(key)
    }

    public func record(containerID: String, interfaceName: String) -> PodRecord? {
        records[Self.key(containerID, interfaceName)]
    }

    public func insert(_ record: PodRecord) throws {
        var next = records
        next[Self.key(record.containerID, record.interfaceName)] = record
        try write(next)
        records = next
    }

    public func remove(containerID: String, interfaceName: String) throws {
        var next = records
        guard next.removeValue(forKey: Self.key(containerID, interfaceName)) != nil else { return }
        try write(next)
        records = next
    }

    private func write(_ next: [String: PodRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let list = next.values.sorted { ($0.containerID, $0.interfaceName) < ($1.containerID, $1.interfaceName) }
        let data = try encoder.encode(list)
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw CNIBackendError("cannot write the pod registry: \(error)")
        }
    }
}

/// A CNI backend failure with the message the caller sees.
public struct CNIBackendError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
