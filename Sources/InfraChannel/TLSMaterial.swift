import Foundation
import NIOSSL
import SwiftASN1
import X509

/// One consistent set of TLS material: trust roots, our chain and the key for it.
///
/// It is only ever built whole and checked (the key matches the leaf, the leaf is signed by
/// one of the roots), so a half-written rotation on disk can never be served.
public struct TLSMaterial: Sendable {
    /// The cluster CA certificates; peers must chain to one of them and to nothing else.
    public let trustRoots: [Certificate]
    /// Our certificate chain, leaf first.
    public let chain: [Certificate]
    let nioChain: [NIOSSLCertificate]
    let nioTrustRoots: [NIOSSLCertificate]
    let nioKey: NIOSSLPrivateKey
    let fingerprint: FileFingerprint

    /// Our leaf certificate.
    public var leaf: Certificate { chain[0] }

    /// Reads and checks the three files. Errors name the file and what is wrong with it.
    public static func load(from files: TLSFiles) throws -> TLSMaterial {
        let caBytes = try readFileBytes(files.caFile)
        let certificateBytes = try readFileBytes(files.certificateFile)
        let keyBytes = try readFileBytes(files.keyFile)
        return try TLSMaterial(
            caPEM: caBytes, certificatePEM: certificateBytes, keyPEM: keyBytes,
            names: (files.caFile, files.certificateFile, files.keyFile)
        )
    }

    init(caPEM: [UInt8], certificatePEM: [UInt8], keyPEM: [UInt8], names: (ca: String, certificate: String, key: String)) throws {
        let roots = try Self.parseCertificates(caPEM, file: names.ca)
        let chain = try Self.parseCertificates(certificatePEM, file: names.certificate)
        let keyText = String(decoding: keyPEM, as: UTF8.self)
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyText)
        } catch {
            throw ChannelError(.invalidKey, "\(names.key): not a PEM private key (\(error))")
        }
        guard key.publicKey == chain[0].publicKey else {
            throw ChannelError(.keyMismatch, "\(names.key) does not match the certificate in \(names.certificate)")
        }
        guard Self.isIssued(chain.last!, byOneOf: roots) || roots.contains(chain.last!) else {
            throw ChannelError(
                .untrustedCertificate,
                "\(names.certificate) (\(chain[0].subject)) is not signed by a CA in \(names.ca)"
            )
        }
        do {
            self.nioKey = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
            self.nioChain = try chain.map { try NIOSSLCertificate(bytes: Self.der($0), format: .der) }
            self.nioTrustRoots = try roots.map { try NIOSSLCertificate(bytes: Self.der($0), format: .der) }
        } catch {
            throw ChannelError(.invalidCertificate, "TLS library refused \(names.certificate) or \(names.key): \(error)")
        }
        self.trustRoots = roots
        self.chain = chain
        self.fingerprint = FileFingerprint(contents: [caPEM, certificatePEM, keyPEM])
    }

    static func parseCertificates(_ bytes: [UInt8], file: String) throws -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ChannelError(.invalidCertificate, "\(file): not PEM (\(error))")
        }
        let certificates = try documents.filter { $0.discriminator == "CERTIFICATE" }.map { document in
            do {
                return try Certificate(derEncoded: document.derBytes)
            } catch {
                throw ChannelError(.invalidCertificate, "\(file): malformed certificate (\(error))")
            }
        }
        guard !certificates.isEmpty else {
            throw ChannelError(.invalidCertificate, "\(file): contains no certificate")
        }
        return certificates
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func isIssued(_ certificate: Certificate, byOneOf roots: [Certificate]) -> Bool {
        roots.contains { root in
            root.subject == certificate.issuer
                && root.publicKey.isValidSignature(certificate.signature, for: certificate)
        }
    }
}
