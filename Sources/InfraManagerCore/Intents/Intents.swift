import InfraNet

// The manager's validated view of what the agent asked for. Wire messages are turned into
// these types once, at the edge (IntentDecoding), so everything behind it works with parsed
// addresses and checked ranges and never sees a malformed string.

public struct PodKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let containerID: String
    public let interfaceName: String

    public init(containerID: String, interfaceName: String) {
        self.containerID = containerID
        self.interfaceName = interfaceName
    }

    public static func < (lhs: PodKey, rhs: PodKey) -> Bool {
        (lhs.containerID, lhs.interfaceName) < (rhs.containerID, rhs.interfaceName)
    }

    public var description: String { "\(containerID)/\(interfaceName)" }
}

public struct PodNetworkIntent: Hashable, Sendable, Codable {
    public let key: PodKey
    public let namespace: String
    public let podName: String
    public let hostInterface: String
    public let mac: MACAddress
    public let addresses: [CIDR]
}

public struct HostInterfaceIntent: Hashable, Sendable, Codable {
    public let name: String
    public let mac: MACAddress
    public let addresses: [CIDR]
}

public enum TransportProtocol: String, Hashable, Sendable, CaseIterable, Codable {
    case tcp, udp, sctp, icmp
}

public struct ServiceName: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let namespace: String
    public let name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: ServiceName, rhs: ServiceName) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }

    public var description: String { "\(namespace)/\(name)" }
}

public struct BackendIntent: Hashable, Sendable, Codable {
    public let address: IPAddress
    public let port: UInt16
}

public struct ServicePortIntent: Hashable, Sendable, Codable {
    public let name: String
    public let transport: TransportProtocol
    public let port: UInt16
    public let nodePort: UInt16?
    public let backends: [BackendIntent]
}

public enum SessionAffinityIntent: Hashable, Sendable, Codable {
    case none
    case clientIP(timeoutSeconds: UInt32)
}

public struct ServiceIntent: Hashable, Sendable, Codable {
    public let name: ServiceName
    public let clusterIPs: [IPAddress]
    public let externalIPs: [IPAddress]
    public let loadBalancerIPs: [IPAddress]
    public let ports: [ServicePortIntent]
    public let affinity: SessionAffinityIntent
}

public enum RuleActionIntent: String, Hashable, Sendable, Codable { case allow, deny }

public struct ICMPMatchIntent: Hashable, Sendable, Codable {
    public let type: UInt8
    public let code: UInt8?
}

public struct RuleIntent: Hashable, Sendable, Codable {
    public let action: RuleActionIntent
    public let peers: [CIDR]
    public let transport: TransportProtocol?
    public let ports: [ClosedRange<UInt16>]
    public let icmp: ICMPMatchIntent?
}

public struct PolicyIntent: Hashable, Sendable, Codable {
    public let id: String
    public let ingress: [RuleIntent]
    public let egress: [RuleIntent]
}

public struct EndpointIntent: Hashable, Sendable, Codable {
    public let id: String
    public let pod: PodKey?
    public let addresses: [IPAddress]
    public let ingressPolicies: [String]
    public let egressPolicies: [String]
}
