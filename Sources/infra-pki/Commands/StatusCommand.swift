import ArgumentParser
import Foundation
import InfraPKI

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Report every certificate under <out> and its problems; exit 1 if there are any.",
        discussion: """
            Problems: \(CertificateStatus.Problem.allCases.map(\.rawValue).joined(separator: ", ")).
            """
    )

    @Option(help: "Output directory to inspect.")
    var out: String

    @Option(help: "Profile; adds identities it names but <out> lacks, and takes kinds and the renew window from it.")
    var profile: String?

    @Option(help: "Renew window as a fraction of lifetime, when no profile is given.")
    var renewWindowFraction = 1.0 / 3.0

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var clock: ClockOptions

    func run() throws {
        var failed = false
        try reportingErrors {
            let profile = try self.profile.map { try PKIProfile.load(contentsOf: URL(fileURLWithPath: $0)) }
            let now = try clock.resolve()
            let inspector = StatusInspector(
                layout: PKILayout(root: directoryURL(out)), now: now, renewWindowFraction: renewWindowFraction, profile: profile
            )
            let reports = inspector.inspect()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            } else {
                print(StatusTable.render(reports))
            }
            failed = reports.contains { !$0.problems.isEmpty }
        }
        if failed { throw ExitCode(1) }
    }
}

/// Plain-text table: one row per certificate, columns padded to the widest cell.
enum StatusTable {
    static func render(_ reports: [CertificateStatus]) -> String {
        let header = ["NAME", "KIND", "SUBJECT", "SANS", "EKU", "ISSUER", "NOT AFTER", "LEFT", "PROBLEMS"]
        let formatter = ISO8601DateFormatter()
        let rows = reports.map { report in
            [
                report.name, report.kind ?? "-", report.subject ?? "-",
                report.sans.isEmpty ? "-" : report.sans.joined(separator: ","),
                report.usage.isEmpty ? "-" : report.usage.joined(separator: ","),
                report.issuer ?? "-", report.notAfter.map(formatter.string(from:)) ?? "-",
                report.residualSeconds.map(duration) ?? "-",
                problems(report),
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private static func problems(_ report: CertificateStatus) -> String {
        guard !report.problems.isEmpty else { return "ok" }
        var text = report.problems.map(\.rawValue).joined(separator: ",")
        if !report.missing.isEmpty { text += " (missing: \(report.missing.joined(separator: ", ")))" }
        return text
    }

    /// "364d 23h" style; negative durations are shown as "expired 3d 2h ago".
    static func duration(_ seconds: Double) -> String {
        let magnitude = Int(abs(seconds))
        let text = "\(magnitude / 86_400)d \(magnitude % 86_400 / 3600)h"
        return seconds < 0 ? "expired \(text) ago" : text
    }
}
