import P4Info
import P4RuntimeAPI

/// Lookups the server needs that the shared `P4Info` module does not offer.
extension P4InfoIndex {
    var allActionProfiles: [P4ActionProfileInfo] { p4info.actionProfiles.compactMap { actionProfile(id: $0.preamble.id) } }
    var allCounters: [P4CounterInfo] { p4info.counters.compactMap { counter(id: $0.preamble.id) } }

    /// The direct counter attached to `table`, if any (a table has at most one, §6.4.1).
    func directCounter(of table: P4TableInfo) -> P4DirectCounterInfo? {
        table.directResourceIDs.lazy.compactMap { directCounter(id: $0) }.first
    }
}
