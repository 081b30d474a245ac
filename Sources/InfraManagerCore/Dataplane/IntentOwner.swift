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
    var objects: TargetObjects = [:]
    var services: [DataplaneIDs.ServiceSlot] = []
    var acls: [DataplaneIDs.ACLSlot] = []
}
