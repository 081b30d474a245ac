import InfraAPI
import InfraNet

/// Turns wire messages into validated intents; the first problem found is thrown with the
/// path of the field inside the request (for example `services[2].ports[0].backends[1].port`).
enum IntentDecoding {
    static func podKey(_ key: Infra_V1_PodInterfaceKey, at path: String) throws -> PodKey {
        try requireName(key.containerID, at: path + ".container_id")
        try requireName(key.interfaceName, at: path + ".interface_name")
        return PodKey(containerID: key.containerID, interfaceName: key.interfaceName)
    }

    static func pod(_ pod: Infra_V1_PodNetwork, at path: String) throws -> PodNetworkIntent {
        guard pod.hasKey else { throw IntentError(field: path + ".key", value: nil, reason: "is required") }
        let key = try podKey(pod.key, at: path + ".key")
        try requireName(pod.hostInterface, at: path + ".host_interface")
        let addresses = try cidrs(pod.ipAddresses, at: path + ".ip_addresses", hostRoutesOnly: true)
        guard !addresses.isEmpty else {
            throw IntentError(field: path + ".ip_addresses", value: nil, reason: "needs at least one address")
        }
        return PodNetworkIntent(
            key: key, namespace: pod.namespace, podName: pod.podName, hostInterface: pod.hostInterface,
            mac: try unicastMAC(pod.macAddress, at: path + ".mac_address"), addresses: addresses
        )
    }

    static func hostInterface(_ host: Infra_V1_HostInterface, at path: String) throws -> HostInterfaceIntent {
        try requireName(host.name, at: path + ".name")
        return HostInterfaceIntent(
            name: host.name, mac: try unicastMAC(host.macAddress, at: path + ".mac_address"),
            addresses: try cidrs(host.ipAddresses, at: path + ".ip_addresses", hostRoutesOnly: false)
        )
    }

    static func serviceName(_ key: Infra_V1_ServiceKey, at path: String) throws -> ServiceName {
        try requireName(key.namespace, at: path + ".namespace")
        try requireName(key.name, at: path + ".name")
        return ServiceName(namespace: key.namespace, name: key.name)
    }

    static func service(_ service: Infra_V1_Service, at path: String) throws -> ServiceIntent {
        guard service.hasKey else { throw IntentError(field: path + ".key", value: nil, reason: "is required") }
        let name = try serviceName(service.key, at: path + ".key")
        let clusterIPs = try addresses(service.clusterIps, at: path + ".cluster_ips")
        let externalIPs = try addresses(service.externalIps, at: path + ".external_ips")
        let loadBalancerIPs = try addresses(service.loadBalancerIps, at: path + ".load_balancer_ips")
        var seenPorts = Set<String>()
        let ports = try service.ports.enumerated().map { index, port in
            let portPath = "\(path).ports[\(index)]"
            guard seenPorts.insert(port.name).inserted else {
                throw IntentError(field: portPath + ".name", value: port.name, reason: "is used by another port of this service")
            }
            return try servicePort(port, at: portPath)
        }
        let affinity: SessionAffinityIntent
        switch service.sessionAffinity {
        case .none: affinity = .none
        case .clientIp: affinity = .clientIP(timeoutSeconds: service.affinityTimeoutSeconds == 0 ? 10_800 : service.affinityTimeoutSeconds)
        case .UNRECOGNIZED(let value):
            throw IntentError(field: path + ".session_affinity", value: String(value), reason: "is not a known affinity")
        }
        return ServiceIntent(
            name: name, clusterIPs: clusterIPs, externalIPs: externalIPs, loadBalancerIPs: loadBalancerIPs,
            ports: ports, affinity: affinity
        )
    }

    static func servicePort(_ port: Infra_V1_ServicePort, at path: String) throws -> ServicePortIntent {
        let transport = try transportProtocol(port.protocol, at: path + ".protocol", allowUnspecified: false)
        guard transport != .icmp else {
            throw IntentError(field: path + ".protocol", value: "PROTOCOL_ICMP", reason: "is not a service protocol")
        }
        let backends = try port.backends.enumerated().map { index, backend in
            let backendPath = "\(path).backends[\(index)]"
            return BackendIntent(
                address: try address(backend.ipAddress, at: backendPath + ".ip_address"),
                port: try portNumber(backend.port, at: backendPath + ".port")
            )
        }
        return ServicePortIntent(
            name: port.name, transport: transport!, port: try portNumber(port.port, at: path + ".port"),
            nodePort: port.nodePort == 0 ? nil : try portNumber(port.nodePort, at: path + ".node_port"),
            backends: backends
        )
    }

    static func policy(_ policy: Infra_V1_Policy, at path: String) throws -> PolicyIntent {
        try requireName(policy.id, at: path + ".id")
        return PolicyIntent(
            id: policy.id,
            ingress: try policy.ingress.enumerated().map { try rule($1, at: "\(path).ingress[\($0)]") },
            egress: try policy.egress.enumerated().map { try rule($1, at: "\(path).egress[\($0)]") }
        )
    }

    static func rule(_ rule: Infra_V1_Rule, at path: String) throws -> RuleIntent {
        let action: RuleActionIntent
        switch rule.action {
        case .allow: action = .allow
        case .deny: action = .deny
        case .unspecified, .UNRECOGNIZED:
            throw IntentError(field: path + ".action", value: String(rule.action.rawValue), reason: "must be ALLOW or DENY")
        }
        let transport = try transportProtocol(rule.protocol, at: path + ".protocol", allowUnspecified: true)
        let ports = try rule.ports.enumerated().map { index, range in
            let rangePath = "\(path).ports[\(index)]"
            let first = try portNumber(range.first, at: rangePath + ".first")
            let last = try portNumber(range.last, at: rangePath + ".last")
            guard first <= last else {
                throw IntentError(field: rangePath, value: "\(first)-\(last)", reason: "has first > last")
            }
            return first...last
        }
        if !ports.isEmpty && transport != .tcp && transport != .udp && transport != .sctp {
            throw IntentError(field: path + ".ports", value: nil, reason: "need protocol TCP, UDP or SCTP")
        }
        var icmp: ICMPMatchIntent?
        if rule.hasIcmp {
            guard transport == .icmp else {
                throw IntentError(field: path + ".icmp", value: nil, reason: "needs protocol ICMP")
            }
            guard rule.icmp.type <= 255 else {
                throw IntentError(field: path + ".icmp.type", value: String(rule.icmp.type), reason: "is not an ICMP type (0-255)")
            }
            if rule.icmp.hasCode && rule.icmp.code > 255 {
                throw IntentError(field: path + ".icmp.code", value: String(rule.icmp.code), reason: "is not an ICMP code (0-255)")
            }
            icmp = ICMPMatchIntent(type: UInt8(rule.icmp.type), code: rule.icmp.hasCode ? UInt8(rule.icmp.code) : nil)
        }
        return RuleIntent(
            action: action, peers: try cidrs(rule.peerCidrs, at: path + ".peer_cidrs", hostRoutesOnly: false),
            transport: transport, ports: ports, icmp: icmp
        )
    }

    static func endpoint(_ endpoint: Infra_V1_Endpoint, at path: String) throws -> EndpointIntent {
        try requireName(endpoint.id, at: path + ".id")
        return EndpointIntent(
            id: endpoint.id,
            pod: endpoint.hasPod ? try podKey(endpoint.pod, at: path + ".pod") : nil,
            addresses: try addresses(endpoint.ipAddresses, at: path + ".ip_addresses"),
            ingressPolicies: endpoint.ingressPolicyIds, egressPolicies: endpoint.egressPolicyIds
        )
    }

    // MARK: Field helpers

    static func requireName(_ value: String, at path: String) throws {
        guard !value.isEmpty else { throw IntentError(field: path, value: nil, reason: "is required") }
        guard value.utf8.count <= 253, !value.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 32 } ?? false }) else {
            throw IntentError(field: path, value: value, reason: "is not a valid name")
        }
    }

    static func address(_ text: String, at path: String) throws -> IPAddress {
        guard let address = IPAddress(text) else {
            throw IntentError(field: path, value: text, reason: "is not an IP address")
        }
        return address
    }

    static func addresses(_ texts: [String], at path: String) throws -> [IPAddress] {
        try texts.enumerated().map { try address($1, at: "\(path)[\($0)]") }
    }

    static func cidrs(_ texts: [String], at path: String, hostRoutesOnly: Bool) throws -> [CIDR] {
        try texts.enumerated().map { index, text in
            guard let cidr = CIDR(text) else {
                throw IntentError(field: "\(path)[\(index)]", value: text, reason: "is not an address in CIDR form")
            }
            if hostRoutesOnly && cidr.prefixLength != cidr.address.bytes.count * 8 {
                throw IntentError(field: "\(path)[\(index)]", value: text, reason: "must be a host prefix (/32 or /128)")
            }
            return cidr
        }
    }

    static func unicastMAC(_ text: String, at path: String) throws -> MACAddress {
        guard let mac = MACAddress(text) else {
            throw IntentError(field: path, value: text, reason: "is not a MAC address")
        }
        guard !mac.isMulticast, mac.bytes != [0, 0, 0, 0, 0, 0] else {
            throw IntentError(field: path, value: text, reason: "is not a unicast MAC address")
        }
        return mac
    }

    static func portNumber(_ value: UInt32, at path: String) throws -> UInt16 {
        guard (1...65_535).contains(value) else {
            throw IntentError(field: path, value: String(value), reason: "is not a port (1-65535)")
        }
        return UInt16(value)
    }

    static func transportProtocol(_ value: Infra_V1_Protocol, at path: String, allowUnspecified: Bool) throws -> TransportProtocol? {
        switch value {
        case .tcp: return .tcp
        case .udp: return .udp
        case .sctp: return .sctp
        case .icmp: return .icmp
        case .unspecified:
            if allowUnspecified { return nil }
            throw IntentError(field: path, value: "PROTOCOL_UNSPECIFIED", reason: "must name TCP, UDP or SCTP")
        case .UNRECOGNIZED(let raw):
            throw IntentError(field: path, value: String(raw), reason: "is not a known protocol")
        }
    }
}
