import ArgumentParser
import Foundation
import InfraPKI

struct CSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csr",
        abstract: "Generate a key and a CSR for one profile identity, for signing by an external CA.",
        discussion: "Writes <out>/<identity>/tls.key (0600) and tls.csr (stratum.key/stratum.csr for infrap4d)."
    )

    @Option(help: "Identity name from the profile.")
    var identity: String

    @Option(help: "Profile YAML.")
    var profile: String

    @Option(help: "Output directory.")
    var out: String

    @Flag(help: "Replace an existing key and CSR.")
    var force = false

    func run() throws {
        try reportingErrors {
            let profile = try PKIProfile.load(contentsOf: URL(fileURLWithPath: self.profile))
            let identity = try profile.identity(named: self.identity)
            let files = PKILayout(root: directoryURL(out)).files(for: identity.name, kind: identity.kind)
            let csrURL = files.certificate.deletingPathExtension().appendingPathExtension("csr")
            if !force {
                try FileBatch.requireAbsent([files.key, csrURL], hint: "pass --force to replace it")
            }
            let (request, key) = try profile.certificateSigningRequest(for: identity)
            var batch = FileBatch()
            try batch.addKey(key, to: files.key)
            batch.addPublic(try request.pemString(), to: csrURL)
            try batch.execute()
            print("wrote \(files.key.path) (0600)")
            print("wrote \(csrURL.path)")
        }
    }
}
