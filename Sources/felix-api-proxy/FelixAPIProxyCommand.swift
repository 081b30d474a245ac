import ArgumentParser

@main
struct FelixAPIProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "felix-api-proxy",
        abstract: "Felix's external dataplane driver: relays Felix's pipes to the infra-agent's policy socket.",
        discussion: "Not implemented yet: the relay arrives with the Felix policy work."
    )

    func run() throws {
        throw NotImplementedYet(description: "felix-api-proxy: not implemented yet (the relay arrives with the Felix policy work)")
    }
}

/// Raised for a command this build does not have yet: a clear message and a non-zero exit.
struct NotImplementedYet: Error, CustomStringConvertible {
    let description: String
}
