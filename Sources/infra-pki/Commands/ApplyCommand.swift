import ArgumentParser
import Foundation
import InfraPKI

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring <out> in line with a profile: create the CA if missing, then issue or renew identities.",
        discussion: """
            Idempotent. The CA is created only when absent and never replaced. An identity is
            (re)issued when missing, in its renew window, expired, or when its SANs, key
            algorithm or usage differ from the profile. Prints one line per entry:
            created | renewed (reason) | reissued (reason) | updated (ca.crt) | unchanged.
            """
    )

    @Argument(help: "Profile YAML (see pki/profile.yaml).")
    var profile: String

    @Option(help: "Output directory.")
    var out: String

    @Flag(help: "Print what would happen; write nothing.")
    var dryRun = false

    @Flag(help: "Reissue every leaf (never the CA), replacing files this CA did not issue.")
    var force = false

    @OptionGroup var clock: ClockOptions

    func run() throws {
        try reportingErrors {
            let profile = try PKIProfile.load(contentsOf: URL(fileURLWithPath: self.profile))
            warnAboutIPConstraints(profile.ca.nameConstraints, field: "ca.nameConstraints.ipRanges")
            let planner = ApplyPlanner(
                profile: profile, layout: PKILayout(root: directoryURL(out)), now: try clock.resolve(), force: force
            )
            let plan = try planner.plan()
            if !dryRun { try plan.execute() }
            for line in plan.lines { print(line) }
        }
    }
}
