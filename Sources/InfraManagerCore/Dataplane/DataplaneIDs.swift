import InfraNet
/// The ids the manager has given to logical objects, by what they stand for, so the same
/// service port or endpoint keeps its id across requests and restarts (a stable id means an
/// unchanged object is never rewritten, and a restart finds its own entries on the target).
///
/// Selector members need no ids here: they are the fixed slots 1...255 of every group (see
/// `K8sDpTranslator.slotMembers`). A state file from a version that recorded member ids still
/// loads; the decoder ignores them.
struct DataplaneIDs: Sendable {
    /// One load-balanced service port: its counter index, its selector group id and the
    /// first half of its slot entries' key.
    struct ServiceSlot: Hashable, Sendable, Codable {
        var namespace: String
        var name: String
        var port: String
    }

    /// The ACL of one endpoint in one direction.
    struct ACLSlot: Hashable, Sendable, Codable {
        var endpoint: String
        var ingress: Bool
    }

    private(set) var services: [ServiceSlot: UInt32] = [:]
    private(set) var acls: [ACLSlot: UInt32] = [:]
    private var serviceAllocator: IDAllocator
    private var aclAllocator: IDAllocator

    init(maxServiceIndex: UInt32, maxACLID: UInt32 = UInt32(UInt16.max)) {
        serviceAllocator = IDAllocator(range: 1...max(1, maxServiceIndex))
        aclAllocator = IDAllocator(range: 1...max(1, maxACLID))
    }

    /// Ids handed out since the last `commit`, released again by `rollback`.
    private var journal: [Allocation] = []
    private enum Allocation { case service(ServiceSlot), acl(ACLSlot) }

    mutating func service(_ slot: ServiceSlot) throws -> UInt32 {
        if let id = services[slot] { return id }
        guard let id = serviceAllocator.allocate() else {
            throw IntentError.capacity("service \(slot.namespace)/\(slot.name) port \(slot.port)", "every service index (1...\(serviceAllocator.range.upperBound)) is in use")
        }
        services[slot] = id
        journal.append(.service(slot))
        return id
    }

    mutating func acl(_ slot: ACLSlot) throws -> UInt32 {
        if let id = acls[slot] { return id }
        guard let id = aclAllocator.allocate() else {
            throw IntentError.capacity("endpoint \(slot.endpoint)", "every ACL id (1...\(aclAllocator.range.upperBound)) is in use")
        }
        acls[slot] = id
        journal.append(.acl(slot))
        return id
    }

    /// Frees ids whose logical object is gone (after the target no longer uses them); returns
    /// what was freed.
    @discardableResult
    mutating func release(services gone: some Sequence<ServiceSlot>, acls goneACLs: some Sequence<ACLSlot>) -> Delta {
        var delta = Delta()
        for slot in gone where services[slot] != nil {
            serviceAllocator.release(services.removeValue(forKey: slot)!)
            delta.releasedServices.append(slot)
        }
        for slot in goneACLs where acls[slot] != nil {
            aclAllocator.release(acls.removeValue(forKey: slot)!)
            delta.releasedACLs.append(slot)
        }
        return delta
    }

    /// Keeps every id handed out since the last commit; returns them.
    @discardableResult
    mutating func commit() -> Delta {
        var delta = Delta()
        for allocation in journal {
            switch allocation {
            case .service(let slot): if let id = services[slot] { delta.services.append(.init(slot: slot, id: id)) }
            case .acl(let slot): if let id = acls[slot] { delta.acls.append(.init(slot: slot, id: id)) }
            }
        }
        journal.removeAll()
        return delta
    }

    /// Releases every id handed out since the last commit (a refused or failed request).
    mutating func rollback() {
        for allocation in journal.reversed() {
            switch allocation {
            case .service(let slot): if let id = services.removeValue(forKey: slot) { serviceAllocator.release(id) }
            case .acl(let slot): if let id = acls.removeValue(forKey: slot) { aclAllocator.release(id) }
            }
        }
        journal.removeAll()
    }

    // MARK: Persistence

    struct Snapshot: Codable, Sendable {
        var services: [Entry<ServiceSlot>]
        var acls: [Entry<ACLSlot>]
        struct Entry<Slot: Codable & Sendable & Hashable>: Codable, Sendable, Equatable { var slot: Slot; var id: UInt32 }
    }

    var snapshot: Snapshot {
        Snapshot(services: services.map { .init(slot: $0.key, id: $0.value) }, acls: acls.map { .init(slot: $0.key, id: $0.value) })
    }

    /// Restores the ids a snapshot recorded; a duplicate id means a corrupt snapshot.
    mutating func restore(_ snapshot: Snapshot) throws {
        try claim(services: snapshot.services, acls: snapshot.acls)
    }

    /// The ids one accepted change handed out and freed, as the state journal records them.
    struct Delta: Codable, Sendable, Equatable {
        var services: [Snapshot.Entry<ServiceSlot>] = []
        var acls: [Snapshot.Entry<ACLSlot>] = []
        var releasedServices: [ServiceSlot] = []
        var releasedACLs: [ACLSlot] = []

        var isEmpty: Bool { services.isEmpty && acls.isEmpty && releasedServices.isEmpty && releasedACLs.isEmpty }

        /// `next` after `self`, as one delta (an id freed and handed out again stays out).
        mutating func append(_ next: Delta) {
            let freedServices = Set(next.releasedServices)
            let freedACLs = Set(next.releasedACLs)
            services.removeAll { freedServices.contains($0.slot) }
            acls.removeAll { freedACLs.contains($0.slot) }
            releasedServices += next.releasedServices
            releasedACLs += next.releasedACLs
            services += next.services
            acls += next.acls
        }
    }

    /// Replays a recorded delta: frees, then hands out, exactly the recorded ids.
    mutating func replay(_ delta: Delta) throws {
        release(services: delta.releasedServices, acls: delta.releasedACLs)
        try claim(services: delta.services, acls: delta.acls)
    }

    private mutating func claim(services entries: [Snapshot.Entry<ServiceSlot>], acls aclEntries: [Snapshot.Entry<ACLSlot>]) throws {
        for entry in entries {
            guard services[entry.slot] == nil, serviceAllocator.claim(entry.id) else {
                throw StateFileError("service index \(entry.id) is recorded twice or out of range")
            }
            services[entry.slot] = entry.id
        }
        for entry in aclEntries {
            guard acls[entry.slot] == nil, aclAllocator.claim(entry.id) else {
                throw StateFileError("ACL id \(entry.id) is recorded twice or out of range")
            }
            acls[entry.slot] = entry.id
        }
    }
}
