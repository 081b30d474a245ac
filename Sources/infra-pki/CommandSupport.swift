import ArgumentParser
import Foundation
import InfraPKI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension KeyAlgorithm: ExpressibleByArgument {}
extension IdentityKind: ExpressibleByArgument {}

/// Runs a command body, turning a PKIError into one line on stderr and exit status 1.
/// Only the message is printed: it names the field and value, which is what an operator
/// needs; the throw site (file/line) stays in `PKIError.description` for developers.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as PKIError {
        printError(error.message)
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("infra-pki: error: \(message)\n".utf8))
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("infra-pki: warning: \(message)\n".utf8))
}

/// IP subtrees are valid X.509, but BoringSSL-based peers refuse the whole chain over them.
func warnAboutIPConstraints(_ constraints: NameConstraintsSpec?, field: String) {
    guard let ranges = constraints?.ipRanges, !ranges.isEmpty else { return }
    printWarning(
        "\(field) \(ranges): BoringSSL-based peers (grpcio, gRPC C++ as in infrap4d) reject every certificate "
            + "under a CA with IP name constraints (\"unsupported name constraint type\")"
    )
}

/// `--now` lets tests (and what-if checks) evaluate renewal at another moment.
struct ClockOptions: ParsableArguments {
    @Option(name: .long, help: "Evaluate as if it were this ISO 8601 time (e.g. 2030-01-01T00:00:00Z).")
    var now: String?

    func resolve() throws -> Date {
        guard let now else { return Date() }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: now) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: now) { return date }
        throw PKIError(.invalidArgument, "--now: \"\(now)\" is not an ISO 8601 time such as 2030-01-01T00:00:00Z")
    }
}

func directoryURL(_ path: String) -> URL {
    URL(fileURLWithPath: path, isDirectory: true)
}

func readText(_ path: String, what: String) throws -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw PKIError(.fileSystem, "\(what) \(path): cannot read: \(error.localizedDescription)")
    }
}

/// Loads a CA from `directory`: either a CA directory holding ca.crt and ca.key, or an
/// output directory holding ca/ (an offline CA host usually has only the former).
func loadCA(from directory: URL) throws -> CertificateAuthority {
    let flat = directory.appendingPathComponent("ca.crt")
    let caDirectory = FileManager.default.fileExists(atPath: flat.path) ? directory : PKILayout(root: directory).caDirectory
    let certificatePEM = try readText(caDirectory.appendingPathComponent("ca.crt").path, what: "CA certificate")
    let keyPEM = try readText(caDirectory.appendingPathComponent("ca.key").path, what: "CA key")
    do {
        return try CertificateAuthority(certificatePEM: certificatePEM, keyPEM: keyPEM)
    } catch let error as PKIError {
        throw PKIError(error.code, "\(caDirectory.path): \(error.message)")
    }
}
