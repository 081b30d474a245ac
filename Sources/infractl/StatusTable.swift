import Foundation
import InfraAPI

/// Renders a StatusResponse as the human table `infractl status` prints.
enum StatusTable {
    static func render(_ status: Infra_V1_StatusResponse, now: Date) -> String {
        var lines: [String] = []
        lines.append("manager     \(status.managerVersion) (api \(status.apiVersion))")
        lines.append("node        \(status.nodeName)")
        lines.append("uptime      \(duration(seconds: status.uptimeSeconds))")
        lines.append("generation  \(status.generation)")
        let desired = status.desired
        lines.append("desired     pods=\(desired.pods) services=\(desired.services) policies=\(desired.policies) endpoints=\(desired.endpoints) host-interface=\(desired.hostInterface ? "yes" : "no")")
        lines.append("target      \(targetState(status.target.state))\(status.target.address.isEmpty ? "" : " " + status.target.address)\(status.target.detail.isEmpty ? "" : " — " + status.target.detail)")
        lines.append("")
        lines.append(table(
            header: ["AGENT IDENTITY", "NODE", "PEER", "CONNECTED", "LAST SYNC GEN"],
            rows: status.agents.map { agent in
                [agent.identity, agent.nodeName, agent.peerAddress,
                 duration(seconds: Int64(now.timeIntervalSince1970) - agent.connectedSinceUnix) + " ago",
                 String(agent.lastSyncGeneration)]
            },
            empty: "no agents connected"
        ))
        lines.append("")
        lines.append(table(
            header: ["CERTIFICATE", "IDENTITY", "SUBJECT", "NOT AFTER", "REMAINING"],
            rows: status.certificates.map { certificate in
                let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notAfterUnix))
                return [certificate.role, certificate.identity, certificate.subject,
                        ISO8601DateFormatter().string(from: notAfter),
                        duration(seconds: certificate.notAfterUnix - Int64(now.timeIntervalSince1970))]
            },
            empty: "no certificates (insecure mode)"
        ))
        if !status.tables.isEmpty {
            lines.append("")
            lines.append(table(
                header: ["TABLE", "ENTRIES", "CAPACITY"],
                rows: status.tables.map { [$0.table, String($0.entries), String($0.capacity)] },
                empty: ""
            ))
        }
        return lines.joined(separator: "\n")
    }

    static func table(header: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return header[0] + "\n  (" + empty + ")" }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func duration(seconds: Int64) -> String {
        if seconds < 0 { return "expired \(duration(seconds: -seconds)) ago" }
        let days = seconds / 86_400, hours = seconds % 86_400 / 3600, minutes = seconds % 3600 / 60
        if days > 0 { return "\(days)d\(hours)h" }
        if hours > 0 { return "\(hours)h\(minutes)m" }
        return "\(minutes)m\(seconds % 60)s"
    }

    static func targetState(_ state: Infra_V1_TargetStatus.State) -> String {
        switch state {
        case .notConfigured: "not configured"
        case .connecting: "connecting"
        case .ready: "ready"
        case .failed: "failed"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}
