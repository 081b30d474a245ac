extension DesiredState {
    /// One accepted change as data: what a request upserted and removed, per kind of intent.
    /// The state journal records one per change; replaying them in order on the snapshot they
    /// follow gives the state back.
    ///
    /// Removed objects are kept whole (not only their keys) because every intent names its own
    /// key (a pod its `key`, a service its `name`, a policy or endpoint its `id`), the same way
    /// the state file lists them.
    struct Change: Codable, Sendable, Equatable {
        /// Set when the change replaced the host interface (`hostInterface` is then the new one,
        /// nil when it was removed).
        var hostInterfaceChanged = false
        var hostInterface: HostInterfaceIntent?
        var pods: [PodNetworkIntent] = []
        var removedPods: [PodNetworkIntent] = []
        var services: [ServiceIntent] = []
        var removedServices: [ServiceIntent] = []
        var policies: [PolicyIntent] = []
        var removedPolicies: [PolicyIntent] = []
        var endpoints: [EndpointIntent] = []
        var removedEndpoints: [EndpointIntent] = []
    }

    /// The change applied since the last `clearTouched`, the host interface compared with
    /// `previousHostInterface`.
    func pendingChange(previousHostInterface: HostInterfaceIntent?) -> Change {
        var change = Change()
        if hostInterface != previousHostInterface {
            change.hostInterfaceChanged = true
            change.hostInterface = hostInterface
        }
        (change.pods, change.removedPods) = pods.pendingChanges
        (change.services, change.removedServices) = services.pendingChanges
        (change.policies, change.removedPolicies) = policies.pendingChanges
        (change.endpoints, change.removedEndpoints) = endpoints.pendingChanges
        return change
    }

    /// Applies a recorded change. The keys it touched stay marked (the caller translates
    /// them, then calls `clearTouched`).
    mutating func replay(_ change: Change) {
        if change.hostInterfaceChanged { hostInterface = change.hostInterface }
        for pod in change.removedPods { _ = pods.remove(pod.key) }
        for pod in change.pods { _ = pods.upsert(pod, for: pod.key) }
        for service in change.removedServices { _ = services.remove(service.name) }
        for service in change.services { _ = services.upsert(service, for: service.name) }
        for policy in change.removedPolicies { _ = policies.remove(policy.id) }
        for policy in change.policies { _ = policies.upsert(policy, for: policy.id) }
        for endpoint in change.removedEndpoints { _ = endpoints.remove(endpoint.id) }
        for endpoint in change.endpoints { _ = endpoints.upsert(endpoint, for: endpoint.id) }
    }
}
