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

    /// The programmer and the target's address, when a target is configured.
    public let dataplane: DataplaneProgrammer?
    public let target: (address: String, deviceID: UInt64)?

    public init(
        nodeName: String, startedAt: Date = Date(), serverTLS: TLSMaterialStore?,
        dataplane: DataplaneProgrammer? = nil, target: (address: String, deviceID: UInt64)? = nil
    ) {
        self.nodeName = nodeName
        self.startedAt = startedAt
        self.serverTLS = serverTLS
        self.dataplane = dataplane
        self.target = target
    }

    func makeStatus(store: DesiredStateStore, agents: AgentRegistry) async -> Infra_V1_StatusResponse {
        let state = await store.state
        let generation = await store.generation
        let sessions = await agents.all
        let now = Date()
        let targetStatus = await dataplane?.targetStatus
        let occupancy = await dataplane?.tableOccupancy ?? []
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
            status.target = .with {
                if let targetStatus, let target {
                    $0.state = targetStatus.ready ? .ready : .connecting
                    $0.address = target.address
                    $0.deviceID = target.deviceID
                    $0.detail = targetStatus.detail
                } else {
                    $0.state = .notConfigured
                    $0.detail = "no dataplane section in the manager's configuration: desired state is kept but nothing is programmed"
                }
            }
            status.tables = occupancy.map { table in
                .with {
                    $0.table = table.name
                    $0.entries = UInt64(table.entries)
                    $0.capacity = UInt64(table.capacity)
                }
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
