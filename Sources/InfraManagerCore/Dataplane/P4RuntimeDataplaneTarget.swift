import GRPCCore
import P4RuntimeAPI
import P4RuntimeClient

/// The production `DataplaneTarget`: a primary P4Runtime connection (infrap4d, infra-p4-dpdk
/// or the emulator).
struct P4RuntimeDataplaneTarget<Transport: ClientTransport>: DataplaneTarget {
    let client: P4RuntimeClient<Transport>

    func write(_ updates: [P4EncodedUpdate]) async throws {
        try await client.write(encoded: updates)
    }

    func read(tables: [UInt32], profiles: [UInt32]) async throws -> TargetObjects {
        var wildcards: [P4_V1_Entity] = []
        for table in tables {
            wildcards.append(P4_V1_Entity(P4_V1_TableEntry.with { $0.tableID = table }))
            wildcards.append(P4_V1_Entity(P4_V1_TableEntry.with { $0.tableID = table; $0.isDefaultAction = true }))
        }
        for profile in profiles {
            wildcards.append(P4_V1_Entity(P4_V1_ActionProfileMember.with { $0.actionProfileID = profile }))
            wildcards.append(P4_V1_Entity(P4_V1_ActionProfileGroup.with { $0.actionProfileID = profile }))
        }
        var objects = TargetObjects()
        for entity in try await client.read(wildcards) {
            if let key = TargetKey(entity) { objects[key] = PackedEntity(Self.comparable(entity)) }
        }
        return objects
    }

    /// Drops what a target adds on read but the manager never writes (counter data of a
    /// direct counter, meter config), so equal objects compare equal.
    static func comparable(_ entity: P4_V1_Entity) -> P4_V1_Entity {
        guard case .tableEntry(var entry) = entity.entity else { return entity }
        entry.clearCounterData()
        entry.clearMeterConfig()
        return P4_V1_Entity(entry)
    }
}
