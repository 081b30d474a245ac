import InfraNet
/// The ids the manager has given to logical objects, by what they stand for, so the same
/// service port or backend keeps its id across requests and restarts (a stable id means an
/// unchanged object is never rewritten, and a restart finds its own entries on the target).
struct DataplaneIDs: Sendable {
    /// One load-balanced service port: its counter index and its selector group id.
    struct ServiceSlot: Hashable, Sendable, Codable {
        var namespace: String
        var name: String
        var port: String
    }

    /// One member of a selector group; `backend` nil is the drop member of an empty service.
    /// The service port is named by its index (`services[slot]`), not by its names: a member
    /// slot lives no longer than its service slot (both go with the owner's record), and on
    /// a large node the three strings per member were ~17 MiB of the model.
    /// `backend` is the IPv4 address and port as one integer (address << 16 | port), not the
    /// "address:port" text the file keeps: a string that long is a heap allocation per member.
    struct MemberSlot: Hashable, Sendable {
        var affinity: Bool
        var service: UInt32
        var backend: UInt64?

        static func backend(address: UInt32, port: UInt16) -> UInt64 { UInt64(address) << 16 | UInt64(port) }

        /// The file's "address:port" form.
        static func text(_ backend: UInt64) -> String {
            let address = UInt32(truncatingIfNeeded: backend >> 16)
            let bytes = withUnsafeBytes(of: address.bigEndian) { Array($0) }
            return "\(bytes.map(String.init).joined(separator: ".")):\(UInt16(truncatingIfNeeded: backend))"
        }

        /// Reads the file's "address:port" form; nil when it is not an IPv4 address and port.
        static func backend(text: String) -> UInt64? {
            guard let colon = text.lastIndex(of: ":"),
                  let address = IPAddress(String(text[..<colon]))?.ipv4Value,
                  let port = UInt16(text[text.index(after: colon)...]) else { return nil }
            return backend(address: address, port: port)
        }
    }

    /// A member slot as the state file records it, with the service port's names, so the file
    /// does not depend on which index a service port had.
    struct StoredMemberSlot: Hashable, Sendable, Codable {
        var affinity: Bool
        var service: ServiceSlot
        var backend: String?
    }

    /// The ACL of one endpoint in one direction.
    struct ACLSlot: Hashable, Sendable, Codable {
        var endpoint: String
        var ingress: Bool
    }

    private(set) var services: [ServiceSlot: UInt32] = [:]
    private(set) var members: [MemberSlot: UInt32] = [:]
    private(set) var acls: [ACLSlot: UInt32] = [:]
    private var serviceAllocator: IDAllocator
    private var memberAllocators: [Bool: IDAllocator]
    private var aclAllocator: IDAllocator

    init(maxServiceIndex: UInt32, maxACLID: UInt32 = UInt32(UInt16.max)) {
        serviceAllocator = IDAllocator(range: 1...max(1, maxServiceIndex))
        memberAllocators = [false: IDAllocator(range: 1...UInt32.max - 1), true: IDAllocator(range: 1...UInt32.max - 1)]
        aclAllocator = IDAllocator(range: 1...max(1, maxACLID))
    }

    /// Ids handed out since the last `commit`, released again by `rollback`.
    private var journal: [Allocation] = []
    private enum Allocation { case service(ServiceSlot), member(MemberSlot), acl(ACLSlot) }

    mutating func service(_ slot: ServiceSlot) throws -> UInt32 {
        if let id = services[slot] { return id }
        guard let id = serviceAllocator.allocate() else {
            throw IntentError.capacity("service \(slot.namespace)/\(slot.name) port \(slot.port)", "every service index (1...\(serviceAllocator.range.upperBound)) is in use")
        }
        services[slot] = id
        journal.append(.service(slot))
        return id
    }

    mutating func member(_ slot: MemberSlot) -> UInt32 {
        if let id = members[slot] { return id }
        let id = memberAllocators[slot.affinity]!.allocate()!
        members[slot] = id
        journal.append(.member(slot))
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

    /// Frees ids whose logical object is gone (after the target no longer uses them).
    mutating func release(services gone: some Sequence<ServiceSlot>, members goneMembers: some Sequence<MemberSlot>, acls goneACLs: some Sequence<ACLSlot>) {
        for slot in gone { if let id = services.removeValue(forKey: slot) { serviceAllocator.release(id) } }
        for slot in goneMembers { if let id = members.removeValue(forKey: slot) { memberAllocators[slot.affinity]!.release(id) } }
        for slot in goneACLs { if let id = acls.removeValue(forKey: slot) { aclAllocator.release(id) } }
    }

    /// Keeps every id handed out since the last commit.
    mutating func commit() { journal.removeAll() }

    /// Releases every id handed out since the last commit (a refused or failed request).
    mutating func rollback() {
        for allocation in journal.reversed() {
            switch allocation {
            case .service(let slot): if let id = services.removeValue(forKey: slot) { serviceAllocator.release(id) }
            case .member(let slot): if let id = members.removeValue(forKey: slot) { memberAllocators[slot.affinity]!.release(id) }
            case .acl(let slot): if let id = acls.removeValue(forKey: slot) { aclAllocator.release(id) }
            }
        }
        journal.removeAll()
    }

    // MARK: Persistence

    struct Snapshot: Codable, Sendable {
        var services: [Entry<ServiceSlot>]
        var members: [Entry<StoredMemberSlot>]
        var acls: [Entry<ACLSlot>]
        struct Entry<Slot: Codable & Sendable>: Codable, Sendable { var slot: Slot; var id: UInt32 }
    }

    var snapshot: Snapshot {
        let serviceByIndex = Dictionary(services.map { ($0.value, $0.key) }) { first, _ in first }
        return Snapshot(
            services: services.map { .init(slot: $0.key, id: $0.value) },
            // A member slot whose service index is gone is not recorded (it cannot happen:
            // both are released by the same commit).
            members: members.compactMap { slot, id in
                serviceByIndex[slot.service].map { .init(slot: StoredMemberSlot(affinity: slot.affinity, service: $0, backend: slot.backend.map(MemberSlot.text)), id: id) }
            },
            acls: acls.map { .init(slot: $0.key, id: $0.value) }
        )
    }

    /// Restores the ids a snapshot recorded; a duplicate id means a corrupt snapshot.
    mutating func restore(_ snapshot: Snapshot) throws {
        for entry in snapshot.services {
            guard serviceAllocator.claim(entry.id) else { throw StateFileError("service index \(entry.id) is recorded twice or out of range") }
            services[entry.slot] = entry.id
        }
        for entry in snapshot.members {
            guard let index = services[entry.slot.service] else {
                throw StateFileError("member id \(entry.id) belongs to service \(entry.slot.service.namespace)/\(entry.slot.service.name) port \(entry.slot.service.port), which has no recorded index")
            }
            var backend: UInt64?
            if let text = entry.slot.backend {
                guard let value = MemberSlot.backend(text: text) else {
                    throw StateFileError("member id \(entry.id) has backend \"\(text)\", which is not an IPv4 address and port")
                }
                backend = value
            }
            guard memberAllocators[entry.slot.affinity]!.claim(entry.id) else { throw StateFileError("member id \(entry.id) is recorded twice") }
            members[MemberSlot(affinity: entry.slot.affinity, service: index, backend: backend)] = entry.id
        }
        for entry in snapshot.acls {
            guard aclAllocator.claim(entry.id) else { throw StateFileError("ACL id \(entry.id) is recorded twice or out of range") }
            acls[entry.slot] = entry.id
        }
    }
}
