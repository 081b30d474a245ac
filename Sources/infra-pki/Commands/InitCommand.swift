import ArgumentParser
import Foundation
import InfraPKI

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new CA in <out>/ca/ (refuses to replace an existing one)."
    )

    @Option(help: "Output directory; the CA goes to <out>/ca/.")
    var out: String

    @Option(help: "CA key algorithm: \(KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algorithm: KeyAlgorithm = .ecdsaP256

    @Option(help: "CA subject common name.")
    var commonName = "InfraOffload CA"

    @Option(help: "CA subject organization.")
    var organization = "InfraOffload"

    @Option(help: "CA lifetime in days.")
    var lifetimeDays = 3650

    @Option(name: .customLong("dns-constraint"), help: "Permitted DNS subtree (repeatable), e.g. svc or .example.org.")
    var dnsConstraints: [String] = []

    @Option(name: .customLong("ip-constraint"), help: "Permitted IP range in CIDR form (repeatable).")
    var ipConstraints: [String] = []

    @Option(name: .customLong("uri-constraint"), help: "Permitted URI host (repeatable); defaults to --trust-domain.")
    var uriConstraints: [String] = []

    @Option(help: "SPIFFE trust domain; becomes the permitted URI host when constraints are set.")
    var trustDomain: String?

    @OptionGroup var clock: ClockOptions

    func run() throws {
        try reportingErrors {
            let layout = PKILayout(root: directoryURL(out))
            guard lifetimeDays > 0 else {
                throw PKIError(.invalidArgument, "--lifetime-days: \(lifetimeDays) must be positive")
            }
            var constraints = NameConstraintsSpec(dnsSuffixes: dnsConstraints, ipRanges: ipConstraints, uriDomains: uriConstraints)
            warnAboutIPConstraints(constraints, field: "--ip-constraint")
            if !constraints.isEmpty && constraints.uriDomains.isEmpty {
                // Without a URI subtree, strict verifiers reject every SPIFFE URI SAN.
                guard let trustDomain else {
                    throw PKIError(.invalidArgument, "name constraints need --trust-domain (or --uri-constraint) so SPIFFE URI SANs stay permitted")
                }
                constraints.uriDomains = [trustDomain]
            }
            try FileBatch.requireAbsent([layout.caCertificate, layout.caKey], hint: "refusing to replace an existing CA")
            let ca = try CertificateAuthority.create(
                commonName: commonName, organization: organization, algorithm: algorithm,
                validity: .days(lifetimeDays, from: try clock.resolve()),
                nameConstraints: constraints.isEmpty ? nil : constraints
            )
            var batch = FileBatch()
            try batch.addKey(ca.key, to: layout.caKey)
            batch.addPublic(try ca.certificate.pemString(), to: layout.caCertificate)
            try batch.execute()
            print("ca: created \(layout.caCertificate.path)")
            print("SHA-256 fingerprint: \(ca.certificate.sha256Fingerprint)")
        }
    }
}
