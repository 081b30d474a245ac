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
