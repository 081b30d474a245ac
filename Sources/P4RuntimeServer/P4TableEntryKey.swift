import Foundation
import P4RuntimeAPI

/// The identity of a table entry (§9.1): table, the match as a set, and priority.
///
/// The core builds it from a validated entry whose matches are sorted by field id and whose
/// bytestrings are canonical, so two spellings of the same key (padding, field order) compare
/// equal, which is what ALREADY_EXISTS / NOT_FOUND need.
public struct P4TableEntryKey: Hashable, Sendable {
    public let tableID: UInt32
    /// The serialized sorted, canonical `FieldMatch` list: opaque, only compared.
    public let match: Data
    public let priority: Int32

    init(tableID: UInt32, sortedMatch: [P4_V1_FieldMatch], priority: Int32) {
        self.tableID = tableID
        var holder = P4_V1_TableEntry()
        holder.match = sortedMatch
        // Deterministic for repeated non-map fields, so equal keys give equal bytes.
        self.match = (try? holder.serializedData()) ?? Data()
        self.priority = priority
    }
}
