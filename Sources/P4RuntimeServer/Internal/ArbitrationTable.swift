import P4RuntimeAPI

/// Per-(device, role) elections across the open StreamChannels (§5, facts §4.10).
///
/// The primary is the stream whose election id is ≥ the highest id ever seen for its role.
/// That high-water mark never drops (not even when the primary leaves), so a backup is never
/// promoted by a disconnect: someone must re-arbitrate with an id ≥ the mark.
struct ArbitrationTable: Sendable {
    struct RoleKey: Hashable, Sendable {
        var deviceID: UInt64
        var role: String
    }

    struct Stream: Sendable {
        var key: RoleKey?
        var electionID: ElectionID?
        var role: P4_V1_Role?
        let continuation: AsyncStream<P4_V1_StreamMessageResponse>.Continuation
    }

    struct RoleState: Sendable {
        var mark: ElectionID?
        var primary: Int?
    }

    var streams: [Int: Stream] = [:]
    var roles: [RoleKey: RoleState] = [:]
    var nextStreamID = 0

    /// The election id of the current primary of `key`, nil when there is none.
    func primaryElectionID(_ key: RoleKey) -> ElectionID? {
        guard let primary = roles[key]?.primary else { return nil }
        return streams[primary]?.electionID
    }

    /// Sends the arbitration notification (§16.2) to `streamIDs` of the role.
    func notify(_ key: RoleKey, _ streamIDs: [Int]) {
        let state = roles[key] ?? RoleState()
        for id in streamIDs {
            guard let stream = streams[id] else { continue }
            var update = P4_V1_MasterArbitrationUpdate()
            update.deviceID = key.deviceID
            if let role = stream.role { update.role = role }
            if let mark = state.mark { update.electionID = mark.proto }
            var status = Google_Rpc_Status()
            if state.primary == id {
                status.code = P4ServerError.Code.ok.rawValue
                status.message = "primary"
            } else if state.primary != nil {
                status.code = P4ServerError.Code.alreadyExists.rawValue
                status.message = "backup; another client is primary"
            } else {
                status.code = P4ServerError.Code.notFound.rawValue
                status.message = "backup; there is no primary"
            }
            update.status = status
            var response = P4_V1_StreamMessageResponse()
            response.arbitration = update
            stream.continuation.yield(response)
        }
    }

    func members(of key: RoleKey) -> [Int] {
        streams.filter { $0.value.key == key }.map(\.key).sorted()
    }
}
