@testable import P4Info

/// A small P4Info in the text format p4c writes, shaped like the k8s_dp tables we will have:
/// an LPM route table, a ternary/range ACL with a direct counter, a selector-backed table with a
/// const default action, and an indexed counter. Ids follow the §6.3 prefix scheme.
enum TestP4Info {
    static let text = #"""
    pkg_info {
      name: "k8s_dp_test"
      version: "0.1"
      arch: "pna"
      organization: "infraoffload"
    }
    tables {
      preamble { id: 33554433 name: "ingress.ipv4_lpm" alias: "ipv4_lpm" }
      match_fields { id: 1 name: "hdr.ipv4.dst_addr" bitwidth: 32 match_type: LPM }
      action_refs { id: 16777217 }
      action_refs { id: 16777218 }
      action_refs { id: 16777219 scope: DEFAULT_ONLY }
      size: 1024
      idle_timeout_behavior: NOTIFY_CONTROL
    }
    tables {
      preamble { id: 33554434 name: "ingress.acl" alias: "acl" }
      match_fields { id: 1 name: "hdr.ipv4.src_addr" bitwidth: 32 match_type: TERNARY }
      match_fields { id: 2 name: "meta.l4_dport" bitwidth: 16 match_type: RANGE }
      match_fields { id: 3 name: "meta.vport" bitwidth: 9 match_type: EXACT }
      action_refs { id: 16777218 }
      action_refs { id: 16777219 }
      direct_resource_ids: 318767105
      size: 256
    }
    tables {
      preamble { id: 33554435 name: "ingress.service_lb" alias: "service_lb" }
      match_fields { id: 1 name: "meta.service_id" bitwidth: 24 match_type: EXACT }
      action_refs { id: 16777217 }
      const_default_action_id: 16777218
      implementation_id: 285212673
      size: 4096
    }
    actions {
      preamble { id: 16777217 name: "ingress.set_nhop" alias: "set_nhop" }
      params { id: 1 name: "port" bitwidth: 9 }
      params { id: 2 name: "dmac" bitwidth: 48 }
    }
    actions {
      preamble { id: 16777218 name: "ingress.drop" alias: "drop" }
    }
    actions {
      preamble { id: 16777219 name: "NoAction" alias: "NoAction" }
    }
    action_profiles {
      preamble { id: 285212673 name: "ingress.lb_selector" alias: "lb_selector" }
      table_ids: 33554435
      with_selector: true
      size: 1024
      max_group_size: 64
    }
    counters {
      preamble { id: 301989889 name: "ingress.port_bytes" alias: "port_bytes" }
      spec { unit: BYTES }
      size: 512
    }
    direct_counters {
      preamble { id: 318767105 name: "ingress.acl_hits" alias: "acl_hits" }
      spec { unit: BOTH }
      direct_table_id: 33554434
    }
    """#

    static func index() throws -> P4InfoIndex { try P4InfoIndex(textFormat: text) }
}
