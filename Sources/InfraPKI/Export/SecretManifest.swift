import Foundation

/// Renders an identity directory as a Kubernetes `kubernetes.io/tls` Secret.
///
/// Written by hand rather than through a YAML encoder: the shape is fixed, every value is
/// base64 (no quoting issues), and the output stays byte-for-byte stable between runs.
public struct SecretManifest: Sendable {
    public var name: String
    public var namespace: String
    public var certificatePEM: String
    public var keyPEM: String
    public var caPEM: String
    public var labels: [String: String]

    public init(name: String, namespace: String, certificatePEM: String, keyPEM: String, caPEM: String, labels: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        self.caPEM = caPEM
        self.labels = labels
    }

    /// Reads the identity's files; infrap4d's stratum.* map onto the standard tls.* keys.
    public static func load(name: String, files: IdentityFiles, namespace: String, secretName: String) throws -> Self {
        func read(_ url: URL) throws -> String {
            guard let text = SecureFile.read(url) else {
                throw PKIError(.fileSystem, "identity \"\(name)\": cannot read \(url.path)")
            }
            return text
        }
        return Self(
            name: secretName, namespace: namespace,
            certificatePEM: try read(files.certificate), keyPEM: try read(files.key), caPEM: try read(files.caCertificate),
            labels: ["app.kubernetes.io/managed-by": "infra-pki", "infra.offload/identity": name]
        )
    }

    public func validate() throws {
        for (field, value) in [("namespace", namespace), ("name", name)] {
            let labels = value.split(separator: ".", omittingEmptySubsequences: false)
            guard value.utf8.count <= 253, value == value.lowercased(), labels.allSatisfy({ NameRules.isHostLabel(String($0)) }) else {
                throw PKIError(.invalidName, "\(field): \"\(value)\" is not a valid Kubernetes name")
            }
        }
    }

    public func yaml() -> String {
        var lines = [
            "apiVersion: v1",
            "kind: Secret",
            "metadata:",
            "  name: \(name)",
            "  namespace: \(namespace)",
        ]
        if !labels.isEmpty {
            lines.append("  labels:")
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) { lines.append("    \(key): \(value)") }
        }
        lines += [
            "type: kubernetes.io/tls",
            "data:",
            "  tls.crt: \(Data(certificatePEM.utf8).base64EncodedString())",
            "  tls.key: \(Data(keyPEM.utf8).base64EncodedString())",
            "  ca.crt: \(Data(caPEM.utf8).base64EncodedString())",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
