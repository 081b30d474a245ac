import InfraNet
import P4RuntimeAPI

extension K8sDpTranslator {
    /// The highest rule priority; later rules get lower ones (P4Runtime: higher wins).
    static let firstRulePriority: Int32 = 1 << 20

    /// Per direction: one entry per endpoint address that selects its ACL id, and the rules of
    /// its policies in order, first match wins. An endpoint with policies in a direction denies
    /// by default there (the rule table's default action). An endpoint with no policy at all
    /// gets no entry and passes.
    ///
    /// Why the other direction of a policed endpoint gets an allow-all ACL: k8s_dp learns a
    /// flow in `acl_flows` (so replies pass) only when an endpoint table matched, so an
    /// endpoint with, say, ingress policies must also be selected on egress for its replies
    /// and its own connections to be tracked (k8s_dp/README.md).
    func endpoint(_ endpoint: EndpointIntent, policies: KeyedObjects<String, PolicyIntent>, ids: inout DataplaneIDs) throws -> OwnerRecord {
        var record = OwnerRecord()
        let addresses = endpoint.addresses.compactMap(\.ipv4Value)
        let policed = !endpoint.ingressPolicies.isEmpty || !endpoint.egressPolicies.isEmpty
        for ingress in [true, false] {
            let policyIDs = ingress ? endpoint.ingressPolicies : endpoint.egressPolicies
            guard policed, !addresses.isEmpty else { continue }
            let slot = DataplaneIDs.ACLSlot(endpoint: endpoint.id, ingress: ingress)
            let aclID = try ids.acl(slot)
            record.acls.append(slot)
            let selectTable = ingress ? schema.aclIngressEndpoint : schema.aclEgressEndpoint
            let selectField = ingress ? "hdr.ipv4.dst_addr" : "hdr.ipv4.src_addr"
            let check = EntityBuilding.action(schema.aclCheck, [UInt64(aclID)])
            for address in addresses {
                record.add(EntityBuilding.entry(selectTable, match: [exactIPv4(selectTable, selectField, address)], action: check))
            }
            let rules = policyIDs.isEmpty
                ? [RuleIntent(action: .allow, peers: [], transport: nil, ports: [], icmp: nil)]
                : policyIDs.flatMap { id in (ingress ? policies[id]?.ingress : policies[id]?.egress) ?? [] }
            let rulesTable = ingress ? schema.aclIngressRules : schema.aclEgressRules
            let peerField = rulesTable.field(ingress ? "hdr.ipv4.src_addr" : "hdr.ipv4.dst_addr")
            for (position, rule) in rules.enumerated() {
                let priority = Self.firstRulePriority - Int32(position)
                for match in ruleMatches(rule, table: rulesTable, peerField: peerField, aclID: aclID) {
                    record.add(EntityBuilding.entry(rulesTable, match: match, priority: priority, action: EntityBuilding.action(rule.action == .allow ? schema.aclAllow : schema.aclDeny, [])))
                }
            }
        }
        return record
    }

    /// The entries one rule expands to: one per (IPv4 peer, port range). Wildcards are left
    /// out of the match, as P4Runtime requires. A rule whose peers are all IPv6 matches no
    /// IPv4 packet and expands to nothing.
    private func ruleMatches(_ rule: RuleIntent, table: K8sDpSchema.Table, peerField: K8sDpSchema.Field, aclID: UInt32) -> [[EntityBuilding.Match]] {
        var base = [EntityBuilding.exact(table.field("meta.acl_id"), UInt64(aclID))]
        if let transport = rule.transport, let number = Self.protocolNumbers[transport] {
            base.append(EntityBuilding.ternary(table.field("hdr.ipv4.protocol"), value: number, mask: 0xff))
        }
        if let icmp = rule.icmp {
            base.append(EntityBuilding.ternary(table.field("meta.icmp_type"), value: UInt64(icmp.type), mask: 0xff))
            if let code = icmp.code {
                base.append(EntityBuilding.ternary(table.field("meta.icmp_code"), value: UInt64(code), mask: 0xff))
            }
        }
        let peers: [CIDR?]
        if rule.peers.isEmpty {
            peers = [nil]
        } else {
            peers = rule.peers.filter { $0.address.family == .v4 }
            if peers.isEmpty { return [] }
        }
        let ports: [ClosedRange<UInt16>?] = rule.ports.isEmpty ? [nil] : rule.ports
        var result: [[EntityBuilding.Match]] = []
        for peer in peers {
            for range in ports {
                var match = base
                if let peer, peer.prefixLength > 0, let address = peer.address.ipv4Value {
                    let mask = UInt64(UInt32.max << (32 - UInt32(peer.prefixLength)))
                    match.append(EntityBuilding.ternary(peerField, value: UInt64(address), mask: mask))
                }
                if let range, range != 0...UInt16.max {
                    match.append(EntityBuilding.range(table.field("meta.l4_dst_port"), low: UInt64(range.lowerBound), high: UInt64(range.upperBound)))
                }
                result.append(match)
            }
        }
        return result
    }
}
