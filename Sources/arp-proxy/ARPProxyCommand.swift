import ArgumentParser

@main
struct ARPProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arp-proxy",
        abstract: "Answers ARP for the pod gateway address from its own network namespace.",
        discussion: "Not implemented yet: the AF_PACKET responder arrives with the host-side work."
    )

    @Option(help: "Interface to answer on.")
    var interface: String?

    func run() throws {
        throw NotImplementedYet(description: "arp-proxy: not implemented yet (the AF_PACKET responder arrives with the host-side work)")
    }
}

/// Raised for a command this build does not have yet: a clear message and a non-zero exit.
struct NotImplementedYet: Error, CustomStringConvertible {
    let description: String
}
