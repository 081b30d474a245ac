import Foundation
import InfraNet
import X509

extension CertificateAuthority {
    /// Issues a certificate for a CSR.
    ///
    /// The CA, not the requester, decides the usage (from `kind`) and the validity; SANs and
    /// the common name are taken from the request only after the same validation `issue`
    /// applies. URI SANs must be InfraOffload identities of the requested kind (and of
    /// `trustDomain` when given), so a CSR cannot smuggle in another component's identity.
    public func sign(
        csrPEM: String, kind: IdentityKind, validity: ValidityWindow, trustDomain: String? = nil, organization: String? = nil
    ) throws -> Certificate {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw PKIError(.invalidCSR, "CSR: cannot parse PEM: \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError(.invalidCSR, "CSR \(request.subject): signature does not verify against its public key")
        }
        guard let commonName = Self.commonName(of: request.subject) else {
            throw PKIError(.invalidCSR, "CSR \(request.subject): subject has no commonName")
        }
        var spec = LeafSpec(commonName: commonName, organization: organization, usage: kind.requiredUsage, validity: validity)
        try Self.copyNames(from: request, into: &spec)
        for uri in spec.uris {
            guard let identity = InfraIdentity(uri: uri), identity.role == kind.role,
                  trustDomain.map({ $0 == identity.trustDomain }) ?? true else {
                throw PKIError(.invalidCSR, "CSR URI SAN \"\(uri)\" is not a \(kind.role.rawValue) identity\(trustDomain.map { " in trust domain \($0)" } ?? "")")
            }
        }
        return try issue(spec, publicKey: request.publicKey)
    }

    private static func copyNames(from request: CertificateSigningRequest, into spec: inout LeafSpec) throws {
        let extensions: Certificate.Extensions?
        do {
            extensions = try request.attributes.extensionRequest?.extensions
        } catch {
            throw PKIError(.invalidCSR, "CSR \(request.subject): malformed extension request: \(error)")
        }
        guard let extensions, let sans = try? extensions.subjectAlternativeNames else { return }
        for name in sans {
            switch name {
            case .dnsName(let dns):
                spec.dnsNames.append(dns)
            case .ipAddress(let octets):
                guard let address = IPAddress(bytes: Array(octets.bytes)) else {
                    throw PKIError(.invalidAddress, "CSR IP SAN has \(octets.bytes.count) bytes; expected 4 or 16")
                }
                spec.ipAddresses.append(address)
            case .uniformResourceIdentifier(let uri):
                spec.uris.append(uri)
            default:
                throw PKIError(.invalidCSR, "CSR SAN \(name) is of a type this CA does not certify (only DNS, IP and URI)")
            }
        }
    }

    static func commonName(of name: DistinguishedName) -> String? {
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
