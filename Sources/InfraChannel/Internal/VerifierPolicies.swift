import InfraPKI
import SwiftASN1
import X509

/// Requires a given extended key usage on the leaf.
///
/// Installing a custom verification callback replaces BoringSSL's own checks, including
/// its EKU purpose check, so the purpose has to be enforced here again.
struct RequireExtendedKeyUsagePolicy: VerifierPolicy {
    let usage: ExtendedKeyUsage.Usage
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [.X509ExtensionID.extendedKeyUsage] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let wanted = usage
        let leafUsages: ExtendedKeyUsage?
        do {
            leafUsages = try chain.leaf.extensions.extendedKeyUsage
        } catch {
            return .failsToMeetPolicy(reason: "malformed extended key usage: \(error)")
        }
        guard let leafUsages, leafUsages.contains(wanted) else {
            let subject = String(describing: chain.leaf.subject)
            return .failsToMeetPolicy(reason: "\(subject) lacks extended key usage \(wanted)")
        }
        return .meetsPolicy
    }
}

/// Requires the leaf to carry an InfraOffload identity of an accepted role and trust domain.
struct RequireIdentityPolicy: VerifierPolicy {
    let roles: Set<InfraIdentity.Role>
    let trustDomain: String?
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let identities = InfraIdentity.identities(in: chain.leaf)
        let acceptable = identities.contains { identity in
            (roles.isEmpty || roles.contains(identity.role))
                && (trustDomain == nil || identity.trustDomain == trustDomain)
        }
        if acceptable { return .meetsPolicy }
        let found = identities.map(\.uri).joined(separator: ", ")
        let wantedRoles = roles.map(\.rawValue).sorted().joined(separator: "|")
        let wantedDomain = trustDomain ?? "any"
        return .failsToMeetPolicy(
            reason: "peer identity [\(found)] is not a \(wantedRoles) in trust domain \(wantedDomain)"
        )
    }
}
