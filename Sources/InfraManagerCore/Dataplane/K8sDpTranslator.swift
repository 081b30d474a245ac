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

    /// Default entries (host port), the gateway's ARP entry, the node's addresses and the
    /// selectors' slot members.
    func node(_ host: HostInterfaceIntent?) -> OwnerRecord {
        let hostMAC = host.map { EntityBuilding.number(bytes: $0.mac.bytes) } ?? 0
        let hostPort = UInt64(settings.hostPort)
        var record = slotMembers()
        record.add(EntityBuilding.defaultEntry(schema.arpToPort, action: EntityBuilding.action(schema.arpForward, [hostPort])))
        record.add(EntityBuilding.defaultEntry(schema.ipv4ToPort, action: EntityBuilding.action(schema.toHost, [hostPort, hostMAC])))
        if let gateway = settings.gatewayIP.ipv4Value {
            record.add(EntityBuilding.entry(
                schema.arpToPort, match: [exactIPv4(schema.arpToPort, "hdr.arp.tpa", gateway)],
                action: EntityBuilding.action(schema.arpForward, [UInt64(settings.arpProxyPort)])
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
        let portNumber = UInt64(port)
        var record = OwnerRecord()
        for address in pod.addresses.compactMap(\.address.ipv4Value) {
            record.add(EntityBuilding.entry(
                schema.arpToPort, match: [exactIPv4(schema.arpToPort, "hdr.arp.tpa", address)],
                action: EntityBuilding.action(schema.arpForward, [portNumber])
            ))
            record.add(EntityBuilding.entry(
                schema.ipv4ToPort, match: [exactIPv4(schema.ipv4ToPort, "hdr.ipv4.dst_addr", address)],
                action: EntityBuilding.action(schema.toPod, [
                    portNumber, EntityBuilding.number(bytes: pod.mac.bytes), EntityBuilding.number(bytes: settings.gatewayMAC.bytes),
                ])
            ))
        }
        return record
    }

    // MARK: Services

    /// Each selector's fixed members: member id k + 1 picks slot k. They are the node's, the
    /// same for every service, so a service's group only lists the first n of them.
    func slotMembers() -> OwnerRecord {
        var record = OwnerRecord()
        for profile in [schema.serviceBackends, schema.serviceBackendsAffinity] {
            for slot in 0..<profile.maxGroupSize {
                record.add(EntityBuilding.member(profile, id: UInt32(slot + 1), action: EntityBuilding.action(schema.pickSlot, [UInt64(slot)])))
            }
        }
        return record
    }

    /// Per service port, under its service index: one `service_lb` entry per frontend address
    /// (cluster, external and load-balancer IPs, and the node's addresses for a node port)
    /// naming the index; and, when it has backends, a selector group listing one slot per
    /// backend, the `service_select` entry pointing at it, and one `service_slots` entry per
    /// slot with its backend. Without backends the frontends drop and count.
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
        let selectTable = affinity ? schema.serviceSelectAffinity : schema.serviceSelect
        let profile = affinity ? schema.serviceBackendsAffinity : schema.serviceBackends
        let frontends = (service.clusterIPs + service.externalIPs + service.loadBalancerIPs).compactMap(\.ipv4Value)
        // Looked up once: a dozen slot entries per service port use them.
        let slotIndexField = schema.serviceSlots.field("meta.service_index")
        let slotField = schema.serviceSlots.field("meta.lb_slot")
        for port in service.ports {
            guard let proto = Self.protocolNumbers[port.transport], port.transport != .icmp else {
                throw IntentError(field: "service \(service.name) port \(port.name).protocol", value: port.transport.rawValue, reason: "cannot be load-balanced")
            }
            // Sorted so the same endpoints always fill the same slots.
            let backends = Set(port.backends.filter { $0.address.family == .v4 })
                .map { (address: $0.address.ipv4Value!, port: $0.port) }
                .sorted { ($0.address, $0.port) < ($1.address, $1.port) }
            if backends.count > profile.maxGroupSize {
                throw IntentError.capacity("service \(service.name) port \(port.name)", "has \(backends.count) backends; action selector \"\(profile.name)\" takes at most \(profile.maxGroupSize) per group")
            }
            let slot = DataplaneIDs.ServiceSlot(namespace: service.name.namespace, name: service.name.name, port: port.name)
            let index = try ids.service(slot)
            record.services.append(slot)
            let indexValue = UInt64(index)
            let frontendAction: EntityBuilding.Action
            if backends.isEmpty {
                frontendAction = EntityBuilding.action(schema.dropNoEndpoints, [indexValue])
            } else {
                frontendAction = EntityBuilding.action(affinity ? schema.toServiceAffinity : schema.toService, [indexValue, UInt64(timeoutProfile)])
                record.add(EntityBuilding.group(profile, id: index, members: (1...UInt32(backends.count)).map { $0 }))
                record.add(EntityBuilding.groupEntry(selectTable, match: [EntityBuilding.exact(selectTable.field("meta.service_index"), indexValue)], groupID: index))
                for (slot, backend) in backends.enumerated() {
                    record.add(EntityBuilding.entry(
                        schema.serviceSlots,
                        match: [
                            EntityBuilding.exact(slotIndexField, indexValue),
                            EntityBuilding.exact(slotField, UInt64(slot)),
                        ],
                        action: EntityBuilding.action(schema.dnatToBackend, [UInt64(backend.address), UInt64(backend.port)])
                    ))
                }
            }
            for address in frontends {
                record.add(EntityBuilding.entry(schema.serviceLB, match: lbMatch(schema.serviceLB, address, proto, port.port), action: frontendAction))
            }
            if let nodePort = port.nodePort {
                for address in nodeAddresses {
                    record.add(EntityBuilding.entry(schema.serviceLB, match: lbMatch(schema.serviceLB, address, proto, nodePort), action: frontendAction))
                }
            }
        }
        return record
    }

    private func lbMatch(_ table: K8sDpSchema.Table, _ address: UInt32, _ proto: UInt64, _ port: UInt16) -> [EntityBuilding.Match] {
        [
            exactIPv4(table, "hdr.ipv4.dst_addr", address),
            EntityBuilding.exact(table.field("hdr.ipv4.protocol"), proto),
            EntityBuilding.exact(table.field("meta.l4_dst_port"), UInt64(port)),
        ]
    }

    func exactIPv4(_ table: K8sDpSchema.Table, _ field: String, _ address: UInt32) -> EntityBuilding.Match {
        EntityBuilding.exact(table.field(field), UInt64(address))
    }
}

extension OwnerRecord {
    /// Adds one object; the same key twice within one intent keeps the first (for example a
    /// rule listing one peer twice).
    mutating func add(_ object: (TargetKey, PackedEntity)) {
        objects.insertIfAbsent(object.0, object.1)
    }
}
