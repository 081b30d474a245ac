/// The intent a group of target objects was made for. Every object on the target belongs to
/// exactly one owner, so a change re-translates only that owner, and two intents that would
/// write the same key are a conflict naming both.
enum IntentOwner: Hashable, Sendable, CustomStringConvertible {
    /// Default entries, the gateway's ARP entry and the node's own addresses.
    case node
    case pod(PodKey)
    case service(ServiceName)
    case endpoint(String)

    var description: String {
        switch self {
        case .node: "host interface"
        case .pod(let key): "pod \(key)"
        case .service(let name): "service \(name)"
        case .endpoint(let id): "endpoint \(id)"
        }
    }
}

/// What one owner translated to: its objects and the ids it holds.
struct OwnerRecord: Sendable {
    var objects = OwnedObjects()
    var services: [DataplaneIDs.ServiceSlot] = []
    var acls: [DataplaneIDs.ACLSlot] = []
}

/// One owner's target objects, in the order the translator made them.
///
/// Why not a dictionary: a service owns about a dozen objects, and a Swift dictionary for 13
/// keys has 32 buckets (~1 KiB); at 10,000 services those half-empty tables were 11 MiB of
/// the manager's heap. An array of pairs is a third of that, and a dozen keys are found as
/// fast by a scan. Owners past `indexThreshold` objects (an endpoint with many ACL rules) also
/// keep a key index, so adding and finding stay O(1) for them.
struct OwnedObjects: Sendable {
    private(set) var elements: [(key: TargetKey, entity: PackedEntity)] = []
    private var index: [TargetKey: Int]?
    static let indexThreshold = 64

    var count: Int { elements.count }
    var keys: LazyMapSequence<[(key: TargetKey, entity: PackedEntity)], TargetKey> { elements.lazy.map(\.key) }
    var pairs: LazyMapSequence<[(key: TargetKey, entity: PackedEntity)], (TargetKey, PackedEntity)> {
        elements.lazy.map { ($0.key, $0.entity) }
    }

    subscript(key: TargetKey) -> PackedEntity? {
        if let index { return index[key].map { elements[$0].entity } }
        return elements.first { $0.key == key }?.entity
    }

    /// Adds `entity` under `key` unless the key is already there (the first one stays).
    mutating func insertIfAbsent(_ key: TargetKey, _ entity: @autoclosure () -> PackedEntity) {
        guard self[key] == nil else { return }
        elements.append((key, entity()))
        if index != nil {
            index?[key] = elements.count - 1
        } else if elements.count > Self.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: elements.enumerated().map { ($1.key, $0) })
        }
    }
}
