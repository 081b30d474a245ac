import ArgumentParser

/// The CNI plugin binary kubelet's runtime executes. CNI passes everything through
/// environment variables and stdin, so the command takes no arguments of its own.
@main
struct InfraCNICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infra-cni",
        abstract: "CNI plugin that hands pod interfaces to the infra-agent (CNI spec 1.1).",
        discussion: "Not implemented yet: ADD, DEL, CHECK, STATUS, GC and VERSION arrive with the host-side CNI work."
    )

    func run() throws {
        throw NotImplementedYet(description: "infra-cni: not implemented yet (CNI commands arrive with the host-side CNI work)")
    }
}

/// Raised for a command this build does not have yet: a clear message and a non-zero exit.
struct NotImplementedYet: Error, CustomStringConvertible {
    let description: String
}
