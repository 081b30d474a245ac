import P4RuntimeAPI

/// What the manager has programmed (or will program once the target is back), kept per
/// owner, with an index from table-entry key to owner and the occupancy of every table.
///
/// `plan` computes a change without touching the model, so a refused or failed request
/// leaves nothing behind; `commit` adopts a plan once the target has accepted it.
struct DataplaneModel: Sendable {
    let translator: K8sDpTranslator
    private(set) var records: [IntentOwner: OwnerRecord] = [:]
    /// Who holds each table entry and default entry. Groups and the entries keyed by a
    /// service index are not indexed: their ids come from `DataplaneIDs` per owner, so no two
    /// owners can want the same one, and leaving out the 100,000 slot entries of a large node
    /// saves ~15 MiB. Members are the node's fixed slots.
    private(set) var owners: [TargetKey: IntentOwner] = [:]
    private(set) var objectCount = 0
    private(set) var occupancy: [UInt32: Int] = [:]
    var ids: DataplaneIDs
    private let capacity: [UInt32: (name: String, size: Int)]
    private let perServiceIndexTables: Set<UInt32>

    init(translator: K8sDpTranslator) {
        self.translator = translator
        let schema = translator.schema
        ids = DataplaneIDs(maxServiceIndex: schema.maxServiceIndex)
        capacity = Dictionary(uniqueKeysWithValues: schema.managedResources.map { ($0.id, ($0.name, $0.capacity)) })
        perServiceIndexTables = schema.perServiceIndexTables
    }

    /// A change ready to be written: per changed owner its new record (nil: removed).
    struct Plan: Sendable {
        var records: [IntentOwner: OwnerRecord?] = [:]
        var transaction: DataplaneTransaction
    }

    /// Every object the model holds, for reconciliation.
    var allObjects: TargetObjects {
        var all = TargetObjects(minimumCapacity: objectCount)
        for record in records.values { all.merge(record.objects.pairs) { first, _ in first } }
        return all
    }

    /// The owners a change made `new`, found from the keys the mutation touched and the host
    /// interface it replaced.
    static func changedOwners(previousHostInterface: HostInterfaceIntent?, new: DesiredState) -> Set<IntentOwner> {
        var changed = Set<IntentOwner>()
        changed.formUnion(new.pods.touched.map(IntentOwner.pod))
        changed.formUnion(new.services.touched.map(IntentOwner.service))
        changed.formUnion(new.endpoints.touched.map(IntentOwner.endpoint))
        if !new.policies.touched.isEmpty {
            for endpoint in new.endpoints.items.values
            where !new.policies.touched.isDisjoint(with: endpoint.ingressPolicies + endpoint.egressPolicies) {
                changed.insert(.endpoint(endpoint.id))
            }
        }
        if previousHostInterface != new.hostInterface {
            changed.insert(.node)
            for service in new.services.items.values where service.ports.contains(where: { $0.nodePort != nil }) {
                changed.insert(.service(service.name))
            }
        }
        return changed
    }

    /// Translates the changed owners of `state` and checks conflicts and capacity. Ids for new
    /// objects are taken now and given back by `abandon` if the plan is not committed.
    mutating func plan(_ state: DesiredState, owners changed: Set<IntentOwner>) throws -> Plan {
        var newRecords: [IntentOwner: OwnerRecord?] = [:]
        let nodeAddresses = state.hostInterface?.addresses.compactMap(\.address.ipv4Value) ?? []
        do {
            for owner in changed {
                newRecords[owner] = try translate(owner, in: state, nodeAddresses: nodeAddresses)
            }
            try checkConflictsAndCapacity(newRecords)
        } catch {
            ids.rollback()
            throw error
        }
        var old = TargetObjects()
        var new = TargetObjects()
        var keys = Set<TargetKey>()
        for (owner, record) in newRecords {
            if let previous = records[owner]?.objects {
                old.merge(previous.pairs) { first, _ in first }
                keys.formUnion(previous.keys)
            }
            if let objects = record?.objects {
                new.merge(objects.pairs) { first, _ in first }
                keys.formUnion(objects.keys)
            }
        }
        return Plan(records: newRecords, transaction: DataplaneTransaction(from: old, to: new, keys: keys, slotTables: translator.schema.slotTables))
    }

    private mutating func translate(_ owner: IntentOwner, in state: DesiredState, nodeAddresses: [UInt32]) throws -> OwnerRecord? {
        switch owner {
        case .node:
            return translator.node(state.hostInterface)
        case .pod(let key):
            return try state.pods[key].map { try translator.pod($0) }
        case .service(let name):
            return try state.services[name].map { try translator.service($0, nodeAddresses: nodeAddresses, ids: &ids) }
        case .endpoint(let id):
            return try state.endpoints[id].map { try translator.endpoint($0, policies: state.policies, ids: &ids) }
        }
    }

    /// Refuses a plan that writes a key another owner holds, or fills a table past its size.
    private func checkConflictsAndCapacity(_ newRecords: [IntentOwner: OwnerRecord?]) throws {
        var delta: [UInt32: Int] = [:]
        for (owner, record) in newRecords {
            for key in (records[owner]?.objects ?? OwnedObjects()).keys where Self.counts(key) { delta[key.resource, default: 0] -= 1 }
            for key in (record?.objects ?? OwnedObjects()).keys {
                if Self.counts(key) { delta[key.resource, default: 0] += 1 }
                guard shareable(key) else { continue }
                if let holder = owners[key], holder != owner, newRecords[holder] == nil || newRecords[holder]??.objects[key] != nil {
                    throw IntentError(field: owner.description, value: nil, reason: "needs a dataplane entry that \(holder) already uses (\(describe(key)))", isConflict: true)
                }
            }
        }
        var claimed: [TargetKey: IntentOwner] = [:]
        for (owner, record) in newRecords {
            for key in (record?.objects ?? OwnedObjects()).keys where shareable(key) {
                if let other = claimed.updateValue(owner, forKey: key), other != owner {
                    throw IntentError(field: owner.description, value: nil, reason: "needs a dataplane entry that \(other) also needs (\(describe(key)))", isConflict: true)
                }
            }
        }
        // In id order, so the table named is the same on every run.
        for (resource, change) in delta.sorted(by: { $0.key < $1.key }) where change > 0 {
            guard let (name, size) = capacity[resource], size > 0 else { continue }
            let after = occupancy[resource, default: 0] + change
            if after > size {
                let what = newRecords.keys.map(\.description).sorted().prefix(3).joined(separator: ", ")
                throw IntentError.capacity(what, "needs \(change) more entries in table \"\(name)\", which holds \(occupancy[resource, default: 0]) of \(size)")
            }
        }
    }

    /// Entries and members take room; default entries and groups do not (groups are bounded
    /// by service indexes).
    private static func counts(_ key: TargetKey) -> Bool {
        switch key {
        case .entry, .member: true
        case .group, .defaultEntry: false
        }
    }

    /// Whether two owners can want this key: table entries (two pods with one address, two
    /// services with one frontend) can; groups and entries keyed by a service index carry ids
    /// allocated per owner, and members belong to the node alone.
    private func shareable(_ key: TargetKey) -> Bool {
        switch key {
        case .entry(let table, _, _): !perServiceIndexTables.contains(table)
        case .defaultEntry: true
        case .member, .group: false
        }
    }

    private func describe(_ key: TargetKey) -> String {
        capacity[key.resource].map { "table \"\($0.name)\"" } ?? "resource \(key.resource)"
    }

    /// Adopts a plan the target accepted (or that will be written by reconciliation); returns
    /// the ids it handed out and freed.
    @discardableResult
    mutating func commit(_ plan: Plan) -> DataplaneIDs.Delta {
        var goneServices: [DataplaneIDs.ServiceSlot] = []
        var goneACLs: [DataplaneIDs.ACLSlot] = []
        for (owner, record) in plan.records {
            if let previous = records[owner] {
                objectCount -= previous.objects.count
                for key in previous.objects.keys {
                    if shareable(key), owners[key] == owner { owners[key] = nil }
                    if Self.counts(key) { occupancy[key.resource, default: 0] -= 1 }
                }
                let kept = record ?? OwnerRecord()
                goneServices += Set(previous.services).subtracting(kept.services)
                goneACLs += Set(previous.acls).subtracting(kept.acls)
            }
            records[owner] = record
        }
        for (owner, record) in plan.records {
            objectCount += record?.objects.count ?? 0
            for key in (record?.objects ?? OwnedObjects()).keys {
                if shareable(key) { owners[key] = owner }
                if Self.counts(key) { occupancy[key.resource, default: 0] += 1 }
            }
        }
        var delta = ids.commit()
        delta.append(ids.release(services: goneServices, acls: goneACLs))
        return delta
    }

    /// Gives back the ids a plan took (the request was refused or the write failed).
    mutating func abandon() { ids.rollback() }

    /// Entries per managed table and members per profile, for status.
    var tableOccupancy: [(name: String, entries: Int, capacity: Int)] {
        translator.schema.managedResources.map { ($0.name, occupancy[$0.id, default: 0], $0.capacity) }
    }
}
