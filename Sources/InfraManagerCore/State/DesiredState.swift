import InfraNet

/// Everything the manager has been asked to program for its node.
///
/// A value type that remembers what each change replaced: a request is applied in place, the
/// result is checked as a whole, and one that fails is reverted. That is what makes every batch
/// all or nothing without copying 10,000 services per request.
public struct DesiredState: Hashable, Sendable {
    public internal(set) var hostInterface: HostInterfaceIntent?
    public internal(set) var pods = KeyedObjects<PodKey, PodNetworkIntent>()
    public internal(set) var services = KeyedObjects<ServiceName, ServiceIntent>()
    public internal(set) var policies = KeyedObjects<String, PolicyIntent>()
    public internal(set) var endpoints = KeyedObjects<String, EndpointIntent>()

    public init() {}

    /// Forgets which keys changed, once the dataplane has taken them into account.
    mutating func clearTouched() {
        pods.clearTouched()
        services.clearTouched()
        policies.clearTouched()
        endpoints.clearTouched()
    }

    /// Undoes every change since the last `clearTouched`, the host interface back to
    /// `hostInterface`: how a request applied in place is taken back.
    mutating func revert(hostInterface previous: HostInterfaceIntent?) {
        hostInterface = previous
        pods.revert()
        services.revert()
        policies.revert()
        endpoints.revert()
    }

    /// Cross-object rules a single message cannot check by itself.
    func checkConsistency() throws {
        var podByAddress: [IPAddress: PodKey] = [:]
        var podByPort: [String: PodKey] = [:]
        for pod in pods.items.values.sorted(by: { $0.key < $1.key }) {
            for cidr in pod.addresses {
                if let other = podByAddress.updateValue(pod.key, forKey: cidr.address), other != pod.key {
                    throw IntentError(field: "pod \(pod.key).ip_addresses", value: cidr.description, reason: "is already used by pod \(other)", isConflict: true)
                }
            }
            if let other = podByPort.updateValue(pod.key, forKey: pod.hostInterface), other != pod.key {
                throw IntentError(field: "pod \(pod.key).host_interface", value: pod.hostInterface, reason: "already carries pod \(other)", isConflict: true)
            }
        }
        for endpoint in endpoints.items.values.sorted(by: { $0.id < $1.id }) {
            for id in endpoint.ingressPolicies + endpoint.egressPolicies where policies[id] == nil {
                throw IntentError(field: "endpoint \(endpoint.id)", value: id, reason: "references a policy that does not exist", isConflict: true)
            }
        }
    }
}
