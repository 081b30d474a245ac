import Logging
import NIOCore
import NIOSSL
import X509

/// Verifies a peer's certificate chain against the current cluster CA with swift-certificates.
///
/// It is installed as NIOSSL's custom verification callback on both sides. That gives three
/// things BoringSSL's default check does not: the roots are always the *current* ones from
/// the ``TLSMaterialStore`` (so a CA rotation needs no restart), the whole validated chain
/// reaches the RPC handlers, and the reason for a refusal is logged.
public struct PeerVerifier: Sendable {
    public typealias Callback = @Sendable (
        [NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>
    ) -> Void

    let store: TLSMaterialStore
    let requirements: PeerRequirements
    let logger: Logger

    public init(store: TLSMaterialStore, requirements: PeerRequirements, logger: Logger) {
        self.store = store
        self.requirements = requirements
        self.logger = logger
    }

    /// Verifies a presented chain (leaf first); returns the validated chain or the reason.
    public func verify(_ presented: [Certificate]) async -> Result<[Certificate], ChannelError> {
        guard let leaf = presented.first else {
            return .failure(ChannelError(.untrustedCertificate, "peer presented no certificate"))
        }
        let roots = store.current.trustRoots
        let requirements = self.requirements
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy()
            RequireExtendedKeyUsagePolicy(usage: requirements.usage)
            if !requirements.acceptedRoles.isEmpty || requirements.trustDomain != nil {
                RequireIdentityPolicy(roles: requirements.acceptedRoles, trustDomain: requirements.trustDomain)
            }
            if requirements.serverHostname != nil || requirements.serverIP != nil {
                ServerIdentityPolicy(serverHostname: requirements.serverHostname, serverIP: requirements.serverIP)
            }
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(presented.dropFirst()))
        switch result {
        case .validCertificate(let chain):
            return .success(Array(chain))
        case .couldNotValidate(let failures):
            let reasons = failures.map { String(describing: $0.policyFailureReason) }
            let reason = reasons.isEmpty ? "no chain to the cluster CA" : Array(Set(reasons)).sorted().joined(separator: "; ")
            return .failure(ChannelError(.untrustedCertificate, "\(leaf.subject): \(reason)"))
        }
    }

    /// The NIOSSL callback form of ``verify(_:)``.
    public var callback: Callback {
        let verifier = self
        return { nioCertificates, promise in
            promise.completeWithTask {
                let presented: [Certificate]
                do {
                    presented = try nioCertificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
                } catch {
                    verifier.logger.warning("refused peer: unparsable certificate", metadata: ["error": "\(error)"])
                    return .failed
                }
                switch await verifier.verify(presented) {
                case .success(let chain):
                    let nioChain = try chain.map { try NIOSSLCertificate(bytes: try TLSMaterial.der($0), format: .der) }
                    return .certificateVerified(VerificationMetadata(ValidatedCertificateChain(nioChain)))
                case .failure(let error):
                    verifier.logger.warning("refused peer certificate", metadata: ["reason": "\(error.message)"])
                    return .failed
                }
            }
        }
    }
}
