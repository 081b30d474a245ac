import ArgumentParser

@main
struct InfraPKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-pki",
        abstract: "Create and maintain the InfraOffload CA and the certificates of its components.",
        discussion: """
            Private keys are written as PKCS#8 PEM with mode 0600 and never printed or logged
            (only `export` emits them, inside Secret manifests).
            Every command validates all of its input before writing anything.
            Output layout: docs/pki.md.
            """,
        subcommands: [
            InitCommand.self, ApplyCommand.self, StatusCommand.self, CSRCommand.self, SignCommand.self, ExportCommand.self,
        ]
    )
}
