import Foundation

/// Services and policies the way an operator sends them: `infractl apply`, over mutual TLS with
/// the operator identity (no Kubernetes watcher exists yet).
extension NodeHarness {
    /// `infractl <arguments> --address <manager> --pki <operator>` with `stdin` as its input.
    func infractl(_ arguments: [String], stdin: String = "") throws -> CommandResult {
        try Command.run([try Self.executable("infractl")] + arguments
            + ["--address", "127.0.0.1:\(managerPort)", "--pki", pkiDirectory + "/operator-admin"], stdin: stdin, timeout: 30)
    }

    /// `infractl apply services -` (an infra.v1 UpsertServicesRequest as JSON).
    func applyServices(_ json: String) throws { try apply("services", json) }
    /// `infractl apply delete-services -` (a DeleteServicesRequest as JSON).
    func deleteServices(_ json: String) throws { try apply("delete-services", json) }
    /// `infractl apply policies -` (an UpdatePoliciesRequest as JSON).
    func applyPolicies(_ json: String) throws { try apply("policies", json) }

    private func apply(_ kind: String, _ json: String) throws {
        let result = try infractl(["apply", kind, "-"], stdin: json)
        guard result.succeeded else { throw NodeHarnessError("infractl apply \(kind) failed: \(result)\nrequest: \(json)") }
    }
}
