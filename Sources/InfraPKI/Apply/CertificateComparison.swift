import Foundation
import InfraNet
import X509

/// The parts of an existing certificate that must match the profile for it to be kept.
enum CertificateComparison {
    struct Names: Equatable {
        var dns: Set<String>
        var ips: Set<IPAddress>
        var uris: Set<String>
    }

    static func names(of certificate: Certificate) -> Names {
        var names = Names(dns: [], ips: [], uris: [])
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return names }
        for name in sans {
            switch name {
            case .dnsName(let dns): names.dns.insert(dns.lowercased())
            case .ipAddress(let octets): IPAddress(bytes: Array(octets.bytes)).map { names.ips.insert($0) }
            case .uniformResourceIdentifier(let uri): names.uris.insert(uri)
            default: break
            }
        }
        return names
    }

    static func names(of spec: LeafSpec) -> Names {
        Names(dns: Set(spec.dnsNames.map { $0.lowercased() }), ips: Set(spec.ipAddresses), uris: Set(spec.uris))
    }

    /// A short reason when the certificate no longer matches the spec, nil when it does.
    static func difference(_ certificate: Certificate, _ spec: LeafSpec) -> String? {
        let have = names(of: certificate), want = names(of: spec)
        if have != want {
            var changed: [String] = []
            if have.dns != want.dns { changed.append("DNS") }
            if have.ips != want.ips { changed.append("IP") }
            if have.uris != want.uris { changed.append("URI") }
            return "SANs changed: \(changed.joined(separator: ", "))"
        }
        let algorithm = KeyAlgorithm(publicKey: certificate.publicKey)
        if algorithm != spec.algorithm {
            return "key algorithm changed: \(algorithm?.rawValue ?? "other") -> \(spec.algorithm.rawValue)"
        }
        let usage = ExtendedUsage(certificate: certificate)
        if usage != spec.usage { return "usage changed: \(usage) -> \(spec.usage)" }
        return nil
    }
}
