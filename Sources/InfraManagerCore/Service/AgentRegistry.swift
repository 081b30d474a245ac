import Foundation
import Metrics

/// The agents attached to this manager right now, by session.
///
/// An agent counts as connected while its Attach stream is open; that stream is the only
/// signal that survives idle periods, since every other call is a short unary RPC.
public actor AgentRegistry {
    public struct Session: Sendable, Hashable {
        public let id: Int
        public let identity: String
        public let nodeName: String
        public let peer: String
        public let connectedSince: Date
        public var lastSyncGeneration: UInt64
    }

    private var sessions: [Int: Session] = [:]
    private var nextID = 0
    private let connectedGauge = Gauge(label: "infra_connected_agents")

    public init() {}

    public func attach(identity: String, nodeName: String, peer: String) -> Int {
        nextID += 1
        sessions[nextID] = Session(
            id: nextID, identity: identity, nodeName: nodeName, peer: peer, connectedSince: Date(), lastSyncGeneration: 0
        )
        connectedGauge.record(sessions.count)
        return nextID
    }

    public func detach(_ id: Int) {
        sessions.removeValue(forKey: id)
        connectedGauge.record(sessions.count)
    }

    /// Records a completed Sync against every open session of that identity.
    public func recordSync(identity: String, generation: UInt64) {
        for (id, session) in sessions where session.identity == identity {
            sessions[id]?.lastSyncGeneration = max(session.lastSyncGeneration, generation)
        }
    }

    public var all: [Session] { sessions.values.sorted { $0.id < $1.id } }
}
