import ArgumentParser
import Foundation
import InfraPKI

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Issue a certificate for a CSR. The CA chooses usage and lifetime; SANs come from the CSR after validation."
    )

    @Option(help: "Directory holding ca.crt and ca.key (either the CA directory or an output directory with ca/).")
    var caDir: String

    @Option(help: "CSR in PEM form.")
    var csr: String

    @Option(help: "Identity kind: \(IdentityKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: IdentityKind

    @Option(help: "Where to write the certificate (PEM).")
    var out: String

    @Option(help: "Certificate lifetime in days.")
    var lifetimeDays = 365

    @Option(help: "Require URI SANs to be in this SPIFFE trust domain.")
    var trustDomain: String?

    @Option(help: "Organization to put in the subject.")
    var organization: String?

    @OptionGroup var clock: ClockOptions

    func run() throws {
        try reportingErrors {
            guard lifetimeDays > 0 else {
                throw PKIError(.invalidArgument, "--lifetime-days: \(lifetimeDays) must be positive")
            }
            let ca = try loadCA(from: directoryURL(caDir))
            let certificate = try ca.sign(
                csrPEM: try readText(csr, what: "CSR"), kind: kind,
                validity: .days(lifetimeDays, from: try clock.resolve()), trustDomain: trustDomain, organization: organization
            )
            var batch = FileBatch()
            batch.addPublic(try certificate.pemString(), to: URL(fileURLWithPath: out))
            try batch.execute()
            print("wrote \(out)")
        }
    }
}
