import Foundation
import InfraNet
import P4RuntimeAPI

/// Turns one intent into the k8s_dp objects it needs (see k8s_dp/README.md for the tables).
///
/// Pure apart from id allocation: the same intent and ids give the same objects, which is
/// what lets the planner diff old against new per owner. IPv6 addresses are skipped (k8s_dp
/// forwards IPv4 only); everything else that cannot be programmed is an `IntentError`.
struct K8sDpTranslator: Sendable {
    let schema: K8sDpSchema
    let settings: DataplaneSettings

    static let protocolNumbers: [TransportProtocol: UInt64] = [.icmp: 1, .tcp: 6, .udp: 17, .sctp: 132]

    // MARK: Node

    /// Default entries (host port), the gateway's ARP entry and the node's addresses.
    func node(_ host: HostInterfaceIntent?) -> OwnerRecord {
        let hostMAC = host.map { EntityBuilding.canonical(bytes: $0.mac.bytes) } ?? EntityBuilding.canonical(0)
        let hostPort = EntityBuilding.canonical(UInt64(settings.hostPort))
        var record = OwnerRecord()
        record.add(EntityBuilding.defaultEntry(schema.arpToPort, action: EntityBuilding.action(schema.arpForward, [hostPort])))
        record.add(EntityBuilding.defaultEntry(schema.ipv4ToPort, action: EntityBuilding.action(schema.toHost, [hostPort, hostMAC])))
        if let gateway = settings.gatewayIP.ipv4Value {
            record.add(EntityBuilding.entry(
                schema.arpToPort, match: [exactIPv4(schema.arpToPort, "hdr.arp.tpa", gateway)],
                action: EntityBuilding.action(schema.arpForward, [EntityBuilding.canonical(UInt64(settings.arpProxyPort))])
            ))
        }
        for address in host?.addresses.compactMap(\.address.ipv4Value) ?? [] {
            record.add(EntityBuilding.entry(
                schema.ipv4ToPort, match: [exactIPv4(schema.ipv4ToPort, "hdr.ipv4.dst_addr", address)],
                action: EntityBuilding.action(schema.toHost, [hostPort, hostMAC])
            ))
        }
        return record
    }

    // MARK: Pods

    func pod(_ pod: PodNetworkIntent) throws -> OwnerRecord {
        guard let port = settings.ports[pod.hostInterface] else {
            let known = settings.ports.keys.sorted().joined(separator: ", ")
            throw IntentError(field: "pod \(pod.key).host_interface", value: pod.hostInterface, reason: "is not a port of this IPU (configured: \(known.isEmpty ? "none" : known))", isConflict: true)
        }
        let portBytes = EntityBuilding.canonical(UInt64(port))
        var record = OwnerRecord()
        for address in pod.addresses.compactMap(\.address.ipv4Value) {
            record.add(EntityBuilding.entry(
                schema.arpToPort, match: [exactIPv4(schema.arpToPort, "hdr.arp.tpa", address)],
                action: EntityBuilding.action(schema.arpForward, [portBytes])
            ))
            record.add(EntityBuilding.entry(
                schema.ipv4ToPort, match: [exactIPv4(schema.ipv4ToPort, "hdr.ipv4.dst_addr", address)],
                action: EntityBuilding.action(schema.toPod, [
                    portBytes, EntityBuilding.canonical(bytes: pod.mac.bytes), EntityBuilding.canonical(bytes: settings.gatewayMAC.bytes),
                ])
            ))
        }
        return record
    }

    // MARK: Services

    /// Per service port: a selector group (its backends, or one drop member when it has none)
    /// and one entry per frontend address (cluster, external and load-balancer IPs, and the
    /// node's addresses for a node port).
    func service(_ service: ServiceIntent, nodeAddresses: [UInt32], ids: inout DataplaneIDs) throws -> OwnerRecord {
        var record = OwnerRecord()
        let affinity: Bool
        let timeoutProfile: UInt8
        switch service.affinity {
        case .none:
            affinity = false
            timeoutProfile = settings.connectionTimeoutProfile
        case .clientIP(let seconds):
            affinity = true
            timeoutProfile = settings.timeoutProfile(atLeast: seconds)
        }
        let table = affinity ? schema.serviceLBAffinity : schema.serviceLB
        let profile = affinity ? schema.serviceBackendsAffinity : schema.serviceBackends
        let frontends = (service.clusterIPs + service.externalIPs + service.loadBalancerIPs).compactMap(\.ipv4Value)
        for port in service.ports {
            guard let proto = Self.protocolNumbers[port.transport], port.transport != .icmp else {
                throw IntentError(field: "service \(service.name) port \(port.name).protocol", value: port.transport.rawValue, reason: "cannot be load-balanced")
            }
            let slot = DataplaneIDs.ServiceSlot(namespace: service.name.namespace, name: service.name.name, port: port.name)
            let index = try ids.service(slot)
            record.services.append(slot)
            let indexBytes = EntityBuilding.canonical(UInt64(index))
            var memberIDs: [UInt32] = []
            let backends = port.backends.filter { $0.address.family == .v4 }
            if backends.isEmpty {
                let memberSlot = DataplaneIDs.MemberSlot(affinity: affinity, service: index, backend: nil)
                let id = ids.member(memberSlot)
                record.members.append(memberSlot)
                memberIDs.append(id)
                record.add(EntityBuilding.member(profile, id: id, action: EntityBuilding.action(schema.dropNoEndpoints, [indexBytes])))
            }
            for backend in Set(backends).sorted(by: { ($0.address.ipv4Value!, $0.port) < ($1.address.ipv4Value!, $1.port) }) {
                let memberSlot = DataplaneIDs.MemberSlot(affinity: affinity, service: index, backend: DataplaneIDs.MemberSlot.backend(address: backend.address.ipv4Value!, port: backend.port))
                let id = ids.member(memberSlot)
                record.members.append(memberSlot)
                memberIDs.append(id)
                record.add(EntityBuilding.member(profile, id: id, action: EntityBuilding.action(schema.dnatToBackend, [
                    EntityBuilding.canonical(bytes: backend.address.bytes), EntityBuilding.canonical(UInt64(backend.port)),
                    indexBytes, EntityBuilding.canonical(UInt64(timeoutProfile)),
                ])))
            }
            if profile.maxGroupSize > 0, memberIDs.count > profile.maxGroupSize {
                throw IntentError.capacity("service \(service.name) port \(port.name)", "has \(memberIDs.count) backends; action selector \"\(profile.name)\" takes at most \(profile.maxGroupSize) per group")
            }
            record.add(EntityBuilding.group(profile, id: index, members: memberIDs))
            for address in frontends {
                record.add(EntityBuilding.groupEntry(table, match: lbMatch(table, address, proto, port.port), groupID: index))
            }
            if let nodePort = port.nodePort {
                for address in nodeAddresses {
                    record.add(EntityBuilding.groupEntry(table, match: lbMatch(table, address, proto, nodePort), groupID: index))
                }
            }
        }
        return record
    }

    private func lbMatch(_ table: K8sDpSchema.Table, _ address: UInt32, _ proto: UInt64, _ port: UInt16) -> [P4_V1_FieldMatch] {
        [
            exactIPv4(table, "hdr.ipv4.dst_addr", address),
            EntityBuilding.exact(table.field("hdr.ipv4.protocol"), EntityBuilding.canonical(proto)),
            EntityBuilding.exact(table.field("meta.l4_dst_port"), EntityBuilding.canonical(UInt64(port))),
        ]
    }

    func exactIPv4(_ table: K8sDpSchema.Table, _ field: String, _ address: UInt32) -> P4_V1_FieldMatch {
        EntityBuilding.exact(table.field(field), EntityBuilding.canonical(UInt64(address)))
    }
}

extension OwnerRecord {
    /// Adds one object; the same key twice within one intent keeps the first (for example a
    /// rule listing one peer twice).
    mutating func add(_ object: (TargetKey, P4_V1_Entity)) {
        if objects[object.0] == nil { objects[object.0] = PackedEntity(object.1) }
    }
}
