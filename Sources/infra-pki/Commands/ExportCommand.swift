import ArgumentParser
import Foundation
import InfraPKI

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print kubernetes.io/tls Secret manifests (tls.crt, tls.key, ca.crt) for identities in <out>.",
        discussion: "The manifests contain private keys: --file writes them with mode 0600."
    )

    @Option(help: "Output directory that `apply` wrote.")
    var out: String

    @Option(help: "Namespace of the Secrets.")
    var namespace = "kube-system"

    @Option(name: .customLong("identity"), help: "Identity to export (repeatable); default: all.")
    var identities: [String] = []

    @Option(help: "Secret name prefix; the identity name follows it.")
    var secretPrefix = "infra-pki-"

    @Option(help: "Write to this file (mode 0600) instead of stdout.")
    var file: String?

    func run() throws {
        try reportingErrors {
            let found = PKILayout(root: directoryURL(out)).discoverIdentities()
            var selected = found
            if !identities.isEmpty {
                selected = try identities.map { name in
                    guard let match = found.first(where: { $0.name == name }) else {
                        let known = found.map(\.name).joined(separator: ", ")
                        throw PKIError(.invalidArgument, "unknown identity \"\(name)\" (found in \(out): \(known.isEmpty ? "none" : known))")
                    }
                    return match
                }
            }
            guard !selected.isEmpty else { throw PKIError(.invalidArgument, "no identities found in \(out)") }
            let manifests = try selected.map { entry in
                let manifest = try SecretManifest.load(
                    name: entry.name, files: entry.files, namespace: namespace, secretName: secretPrefix + entry.name
                )
                try manifest.validate()
                return manifest.yaml()
            }
            let text = manifests.joined(separator: "---\n")
            if let file {
                var batch = FileBatch()
                batch.addSecret(text, to: URL(fileURLWithPath: file))
                try batch.execute()
            } else {
                print(text, terminator: "")
            }
        }
    }
}
