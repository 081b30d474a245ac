import P4Info
import P4RuntimeAPI

/// k8s_dp's tables, actions, profiles and counters as ids, resolved once from the committed
/// P4Info (k8s_dp/dpdk/k8s_dp.p4info.txtpb) so that translating intents needs no name lookups.
///
/// Resolution fails with the missing name when the P4Info is not the program this manager
/// was written for, which is the mistake to catch at start rather than at the first write.
struct K8sDpSchema: Sendable {
    struct Field: Sendable { let id: UInt32; let bitwidth: Int }

    struct Table: Sendable {
        let id: UInt32
        let name: String
        let size: Int
        let fields: [String: Field]

        func field(_ name: String) -> Field { fields[name]! }
    }

    struct Action: Sendable {
        let id: UInt32
        let name: String
        /// Parameter ids in declaration order, with their widths.
        let params: [Field]
    }

    struct Profile: Sendable {
        let id: UInt32
        let name: String
        let size: Int
        let maxGroupSize: Int
    }

    let arpToPort: Table
    let ipv4ToPort: Table
    let serviceLB: Table
    let serviceSelect: Table
    let serviceSelectAffinity: Table
    let serviceSlots: Table
    let aclEgressEndpoint: Table
    let aclEgressRules: Table
    let aclIngressEndpoint: Table
    let aclIngressRules: Table

    let arpForward: Action
    let toPod: Action
    let toHost: Action
    let toService: Action
    let toServiceAffinity: Action
    let dropNoEndpoints: Action
    let pickSlot: Action
    let dnatToBackend: Action
    let aclCheck: Action
    let aclAllow: Action
    let aclDeny: Action

    let serviceBackends: Profile
    let serviceBackendsAffinity: Profile
    /// Cells of the per-service counters, which `service_index` indexes.
    let serviceCounterSize: Int

    let index: P4InfoIndex

    init(_ index: P4InfoIndex) throws {
        self.index = index
        func table(_ name: String, _ fields: [String]) throws -> Table {
            let info = try index.table(name)
            var resolved: [String: Field] = [:]
            for field in fields {
                let info = try info.matchField(field)
                resolved[field] = Field(id: info.id, bitwidth: info.bitwidth)
            }
            return Table(id: info.id, name: info.alias.isEmpty ? info.name : info.alias, size: Int(info.size), fields: resolved)
        }
        func action(_ name: String, _ params: [String]) throws -> Action {
            let info = try index.action(name)
            let resolved = try params.map { param -> Field in
                let param = try info.param(param)
                return Field(id: param.id, bitwidth: param.bitwidth)
            }
            guard resolved.count == info.params.count else {
                throw P4InfoError(.invalidP4Info, "action \"\(name)\" has parameters \(info.params.map(\.name)); this manager knows \(params)")
            }
            return Action(id: info.id, name: name, params: resolved)
        }
        func profile(_ name: String) throws -> Profile {
            let info = try index.actionProfile(name)
            return Profile(id: info.id, name: name, size: Int(info.size), maxGroupSize: Int(info.maxGroupSize))
        }
        let ruleFields = ["meta.acl_id", "hdr.ipv4.protocol", "meta.l4_dst_port", "meta.icmp_type", "meta.icmp_code"]
        arpToPort = try table("arp_to_port", ["hdr.arp.tpa"])
        ipv4ToPort = try table("ipv4_to_port", ["hdr.ipv4.dst_addr"])
        let lbFields = ["hdr.ipv4.dst_addr", "hdr.ipv4.protocol", "meta.l4_dst_port"]
        serviceLB = try table("service_lb", lbFields)
        serviceSelect = try table("service_select", ["meta.service_index"])
        serviceSelectAffinity = try table("service_select_affinity", ["meta.service_index"])
        serviceSlots = try table("service_slots", ["meta.service_index", "meta.lb_slot"])
        aclEgressEndpoint = try table("acl_egress_endpoint", ["hdr.ipv4.src_addr"])
        aclEgressRules = try table("acl_egress_rules", ruleFields + ["hdr.ipv4.dst_addr"])
        aclIngressEndpoint = try table("acl_ingress_endpoint", ["hdr.ipv4.dst_addr"])
        aclIngressRules = try table("acl_ingress_rules", ruleFields + ["hdr.ipv4.src_addr"])

        arpForward = try action("arp_forward", ["port"])
        toPod = try action("to_pod", ["port", "pod_mac", "gateway_mac"])
        toHost = try action("to_host", ["port", "host_mac"])
        toService = try action("to_service", ["service_index", "timeout_profile"])
        toServiceAffinity = try action("to_service_affinity", ["service_index", "timeout_profile"])
        dropNoEndpoints = try action("drop_no_endpoints", ["service_index"])
        pickSlot = try action("pick_slot", ["slot"])
        dnatToBackend = try action("dnat_to_backend", ["backend_ip", "backend_port"])
        aclCheck = try action("acl_check", ["acl_id"])
        aclAllow = try action("acl_allow", [])
        aclDeny = try action("acl_deny", [])

        serviceBackends = try profile("service_backends")
        serviceBackendsAffinity = try profile("service_backends_affinity")
        for profile in [serviceBackends, serviceBackendsAffinity] where !(1...Self.maxSlots).contains(profile.maxGroupSize) {
            throw P4InfoError(.invalidP4Info, "action selector \"\(profile.name)\" has max_group_size \(profile.maxGroupSize); this manager needs 1...\(Self.maxSlots) (one member per slot)")
        }
        serviceCounterSize = Int(min(try index.counter("service_counters").size, try index.counter("service_drops").size))
    }

    /// The largest service index: it is a 16-bit action parameter, a group id and a cell of
    /// the service counters (index 0 is never used, so a zero in a packet's metadata is no
    /// service).
    var maxServiceIndex: UInt32 { UInt32(max(1, min(serviceCounterSize - 1, Int(UInt16.max)))) }

    /// The most slots (members) a selector group can list: DPDK 22.11's selector takes
    /// member ids below its group size, 256 for k8s_dp, and P4Runtime member id 0 is invalid.
    static let maxSlots = 255

    /// Every table and profile the manager writes, for capacity and occupancy reports. A
    /// selector's members are its fixed slots (ids 1...max_group_size), so that, not the
    /// profile's P4Info size, is what it can ever hold here.
    var managedResources: [(id: UInt32, name: String, capacity: Int)] {
        managedTables.map { ($0.id, $0.name, $0.size) }
            + managedProfiles.map { ($0.id, $0.name + " (members)", min($0.size, $0.maxGroupSize)) }
    }

    /// The tables the manager reads back during reconciliation.
    var managedTables: [Table] {
        [
            arpToPort, ipv4ToPort, serviceLB, serviceSelect, serviceSelectAffinity, serviceSlots,
            aclEgressEndpoint, aclEgressRules, aclIngressEndpoint, aclIngressRules,
        ]
    }

    /// Tables whose entries nothing in P4Runtime points at but the data plane reaches through a
    /// selector group's slot: written before the groups that use them and deleted after, like
    /// members (see `DataplaneTransaction`).
    var slotTables: Set<UInt32> { [serviceSlots.id] }

    /// Tables keyed by a service index, which the manager hands out per service port: no
    /// two owners can want the same entry, so the model does not index them by owner.
    var perServiceIndexTables: Set<UInt32> { [serviceSelect.id, serviceSelectAffinity.id, serviceSlots.id] }

    var managedProfiles: [Profile] { [serviceBackends, serviceBackendsAffinity] }
}
