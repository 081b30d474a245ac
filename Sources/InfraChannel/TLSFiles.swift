/// Where one side of the channel finds its PEM material on disk.
///
/// The files are read again whenever their contents change (see ``TLSMaterialStore``), which
/// is how a rotated certificate or a renewed cluster CA reaches a running daemon.
public struct TLSFiles: Hashable, Sendable, Codable {
    /// The cluster CA bundle: the only roots a peer may chain to.
    public var caFile: String
    /// This process's certificate, leaf first, optionally followed by intermediates.
    public var certificateFile: String
    /// The private key for the certificate, PKCS#8 (or SEC1/PKCS#1) PEM.
    public var keyFile: String

    public init(caFile: String, certificateFile: String, keyFile: String) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// The three files of an identity directory laid out by `infra-pki`.
    public init(directory: String) {
        self.init(caFile: directory + "/ca.crt", certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key")
    }
}
