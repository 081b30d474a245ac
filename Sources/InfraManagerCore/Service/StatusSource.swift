import Foundation
import InfraAPI
import InfraChannel
import InfraPKI
import X509

/// Gathers what `Status` reports: versions, uptime, sessions, target, certificates, counts.
public struct StatusSource: Sendable {
    public let nodeName: String
    public let startedAt: Date
    /// The server's TLS material, when the channel is secured.
    public let serverTLS: TLSMaterialStore?

    public init(nodeName: String, startedAt: Date = Date(), serverTLS: TLSMaterialStore?) {
        self.nodeName = nodeName
        self.startedAt = startedAt
        self.serverTLS = serverTLS
    }

    func makeStatus(store: DesiredStateStore, agents: AgentRegistry) async -> Infra_V1_StatusResponse {
        let state = await store.state
        let generation = await store.generation
        let sessions = await agents.all
        let now = Date()
        return .with { status in
            status.managerVersion = InfraVersion.release
            status.apiVersion = InfraVersion.api
            status.nodeName = nodeName
            status.startedAtUnix = Int64(startedAt.timeIntervalSince1970)
            status.uptimeSeconds = Int64(now.timeIntervalSince(startedAt))
            status.generation = generation
            status.agents = sessions.map { session in
                .with {
                    $0.identity = session.identity
                    $0.nodeName = session.nodeName
                    $0.peerAddress = session.peer
                    $0.connectedSinceUnix = Int64(session.connectedSince.timeIntervalSince1970)
                    $0.lastSyncGeneration = session.lastSyncGeneration
                }
            }
            // The P4Runtime client arrives with the pipeline work; until then there is no
            // target and no table to report, and Status says so rather than inventing one.
            status.target = .with {
                $0.state = .notConfigured
                $0.detail = "no P4Runtime target is configured in this build"
            }
            status.desired = .with {
                $0.pods = UInt32(state.pods.count)
                $0.services = UInt32(state.services.count)
                $0.policies = UInt32(state.policies.count)
                $0.endpoints = UInt32(state.endpoints.count)
                $0.hostInterface = state.hostInterface != nil
            }
            if let serverTLS {
                let leaf = serverTLS.current.leaf
                status.certificates = [.with {
                    $0.role = "server"
                    $0.subject = String(describing: leaf.subject)
                    $0.identity = InfraIdentity.identities(in: leaf).first?.uri ?? ""
                    $0.notAfterUnix = Int64(leaf.notValidAfter.timeIntervalSince1970)
                }]
            }
        }
    }
}
