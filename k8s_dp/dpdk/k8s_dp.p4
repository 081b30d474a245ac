/*
 * k8s_dp: InfraOffload's Kubernetes node dataplane for PNA on P4-DPDK.
 *
 * One pass per packet, no recirculation:
 *
 *   parse Ethernet -> ARP | IPv4 -> TCP | UDP | SCTP | ICMP
 *   ARP   : arp_to_port (target IP -> port)
 *   IPv4  : service_lb   (Service VIP or NodePort -> the Service's index)
 *           service_select / service_select_affinity  (index -> a slot, by selector)
 *           service_slots (index and slot -> backend)
 *           ct_forward   (learner: client flow -> pinned backend)        -> DNAT
 *           ct_reverse   (learner: reply flow -> Service address)
 *           acl_* tables (NetworkPolicy, after DNAT and before SNAT)
 *           acl_flows    (learner: allowed flows, both directions)
 *           SNAT of replies from backends
 *           ipv4_to_port (destination IP -> port and MAC rewrite)
 *   other : dropped and counted
 *
 * The P4Runtime interface (names, ids, parameters) is fixed: the manager programs it.
 * k8s_dp/README.md explains every table, the counter indexes and the learner timeout
 * profiles, and walks packets through the program.
 *
 * Every field that a key, a selector, a checksum or a learner touches is byte-aligned
 * (the DPDK pipeline has no sub-byte fields). IPv4 only.
 */
#include <core.p4>
#include <pna.p4>

/* ---------------------------------------------------------------- constants */

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<16> ETHERTYPE_ARP  = 0x0806;

const bit<8> IP_PROTO_ICMP = 1;
const bit<8> IP_PROTO_TCP  = 6;
const bit<8> IP_PROTO_UDP  = 17;
const bit<8> IP_PROTO_SCTP = 132;

/* Bytes counted for frames whose length the program does not parse. */
const bit<32> ETHERNET_HEADER_BYTES = 14;
const bit<32> ARP_FRAME_BYTES       = 42;

/* Result of the Service stage (meta.lb_result). */
const bit<8> LB_NONE         = 0;
const bit<8> LB_BACKEND      = 1;
const bit<8> LB_NO_ENDPOINTS = 2;
const bit<8> LB_SELECT       = 3;   /* a Service with backends: a slot is chosen next */

/* Learner expire-time profile for acl_flows entries: profile 4 = 300 s (README). */
const bit<8> ACL_FLOW_TIMEOUT_PROFILE = 4;

/*
 * table_counters indexes: one hit and one miss counter per table, then the drops.
 * k8s_dp/README.md lists the same numbers for the manager.
 */
const bit<32> TC_ARP_TO_PORT_HIT           = 0;
const bit<32> TC_ARP_TO_PORT_MISS          = 1;
const bit<32> TC_IPV4_TO_PORT_HIT          = 2;
const bit<32> TC_IPV4_TO_PORT_MISS         = 3;
const bit<32> TC_SERVICE_LB_HIT            = 4;
const bit<32> TC_SERVICE_LB_MISS           = 5;
const bit<32> TC_SERVICE_SLOTS_HIT         = 6;
const bit<32> TC_SERVICE_SLOTS_MISS        = 7;
const bit<32> TC_CT_FORWARD_HIT            = 8;
const bit<32> TC_CT_FORWARD_MISS           = 9;
const bit<32> TC_CT_REVERSE_HIT            = 10;
const bit<32> TC_CT_REVERSE_MISS           = 11;
const bit<32> TC_ACL_EGRESS_ENDPOINT_HIT   = 12;
const bit<32> TC_ACL_EGRESS_ENDPOINT_MISS  = 13;
const bit<32> TC_ACL_EGRESS_RULES_HIT      = 14;
const bit<32> TC_ACL_EGRESS_RULES_MISS     = 15;
const bit<32> TC_ACL_INGRESS_ENDPOINT_HIT  = 16;
const bit<32> TC_ACL_INGRESS_ENDPOINT_MISS = 17;
const bit<32> TC_ACL_INGRESS_RULES_HIT     = 18;
const bit<32> TC_ACL_INGRESS_RULES_MISS    = 19;
const bit<32> TC_ACL_FLOWS_HIT             = 20;
const bit<32> TC_ACL_FLOWS_MISS            = 21;
const bit<32> TC_DROP_UNSUPPORTED_FRAME    = 22;
const bit<32> TC_DROP_ACL_DENIED           = 23;
const bit<32> TABLE_COUNTERS_SIZE          = 32;

const bit<32> SERVICE_COUNTERS_SIZE = 16384;

/* ---------------------------------------------------------------- headers */

header ethernet_h {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header arp_h {
    bit<16> htype;
    bit<16> ptype;
    bit<8>  hlen;
    bit<8>  plen;
    bit<16> oper;
    bit<48> sha;
    bit<32> spa;
    bit<48> tha;
    bit<32> tpa;
}

header ipv4_h {
    bit<8>  version_ihl;
    bit<8>  dscp_ecn;
    bit<16> total_len;
    bit<16> identification;
    bit<16> flags_frag_offset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> header_checksum;
    bit<32> src_addr;
    bit<32> dst_addr;
}

header tcp_h {
    bit<16> src_port;
    bit<16> dst_port;
    bit<32> seq_no;
    bit<32> ack_no;
    bit<8>  data_offset_res;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgent_ptr;
}

header udp_h {
    bit<16> src_port;
    bit<16> dst_port;
    bit<16> length;
    bit<16> checksum;
}

header sctp_h {
    bit<16> src_port;
    bit<16> dst_port;
    bit<32> verification_tag;
    bit<32> checksum;
}

header icmp_h {
    bit<8>  msg_type;
    bit<8>  msg_code;
    bit<16> checksum;
}

struct headers_t {
    ethernet_h ethernet;
    arp_h      arp;
    ipv4_h     ipv4;
    tcp_h      tcp;
    udp_h      udp;
    sctp_h     sctp;
    icmp_h     icmp;
}

/*
 * Per-packet metadata. The three learner keys are laid out in key order so that the
 * compiler can use them in place.
 */
struct metadata_t {
    /* From the parser (zero when the packet has no such header). */
    bit<16> l4_src_port;
    bit<16> l4_dst_port;
    bit<8>  icmp_type;
    bit<8>  icmp_code;
    bit<8>  has_l4_ports;       /* 1 for TCP, UDP and SCTP */

    /* ct_forward key: the client's flow towards the Service, before DNAT. */
    bit<32> ct_client_ip;
    bit<32> ct_service_ip;
    bit<8>  ct_protocol;
    bit<16> ct_client_port;
    bit<16> ct_service_port;

    /* ct_reverse key: the tuple a reply from the backend carries. */
    bit<32> reply_src_ip;
    bit<32> reply_dst_ip;
    bit<8>  reply_protocol;
    bit<16> reply_src_port;
    bit<16> reply_dst_port;

    /* acl_flows key: the flow's tuple in canonical order (lower address first). */
    bit<32> flow_lo_ip;
    bit<32> flow_hi_ip;
    bit<8>  flow_protocol;
    bit<16> flow_lo_port;
    bit<16> flow_hi_port;

    /* Service stage. */
    bit<8>  lb_result;
    bit<32> backend_ip;         /* ct_forward_hit's learned parameters, in order */
    bit<16> backend_port;
    bit<32> service_ip;         /* ct_reverse_hit's learned parameters, in order */
    bit<16> service_port;
    bit<16> service_index;
    bit<8>  lb_affinity;        /* 1: the Service pins clients (ClientIP affinity) */
    bit<16> lb_slot;            /* the slot a selector chose. Never initialized: p4c-dpdk
                                 * 1.2.4.17 does not see that pick_slot (an action of the
                                 * member table it splits off a selector) writes it, and put
                                 * the initial constant into service_slots' key instead. */
    bit<8>  timeout_profile;
    bit<8>  dnat_done;
    bit<8>  is_reply;           /* ct_reverse hit on a packet that was not DNAT'd */

    /* NetworkPolicy stage. */
    bit<16> acl_id;
    bit<8>  policy_seen;        /* an endpoint table hit for this packet */
    bit<8>  acl_denied;
    bit<8>  acl_established;    /* acl_flows hit */

    /* Forwarding. */
    bit<48> host_mac;
    bit<8>  drop;
    bit<32> byte_count;
}

/* Parameter structs of the learned (data-plane added) actions. */
struct ct_forward_hit_params_t {
    bit<32> backend_ip;
    bit<16> backend_port;
}

struct ct_reverse_hit_params_t {
    bit<32> service_ip;
    bit<16> service_port;
}

struct acl_flows_hit_params_t {
}

/* ---------------------------------------------------------------- parser */

parser k8s_dp_parser(packet_in pkt,
                     out headers_t hdr,
                     inout metadata_t meta,
                     in pna_main_parser_input_metadata_t istd) {
    state start {
        meta.l4_src_port = 0;
        meta.l4_dst_port = 0;
        meta.icmp_type = 0;
        meta.icmp_code = 0;
        meta.has_l4_ports = 0;
        meta.ct_client_port = 0;
        meta.ct_service_port = 0;
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_ARP:  parse_arp;
            ETHERTYPE_IPV4: parse_ipv4;
            default:        accept;
        }
    }

    state parse_arp {
        pkt.extract(hdr.arp);
        transition accept;
    }

    /*
     * L4 headers are parsed only for IPv4 headers without options (IHL 5) and for the
     * first fragment; other IPv4 packets carry no ports (README, limits).
     */
    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        /* The flow as the client sent it (before any NAT); service_lb's selector and
         * ct_forward use it. Set here rather than in the control so that the compiler
         * keeps these five contiguous metadata fields as the selector's input: DPDK
         * hashes one contiguous span of at most 64 bytes. */
        meta.ct_client_ip = hdr.ipv4.src_addr;
        meta.ct_service_ip = hdr.ipv4.dst_addr;
        meta.ct_protocol = hdr.ipv4.protocol;
        transition select(hdr.ipv4.version_ihl, hdr.ipv4.flags_frag_offset, hdr.ipv4.protocol) {
            (0x45, 0 &&& 0x1fff, IP_PROTO_TCP):  parse_tcp;
            (0x45, 0 &&& 0x1fff, IP_PROTO_UDP):  parse_udp;
            (0x45, 0 &&& 0x1fff, IP_PROTO_SCTP): parse_sctp;
            (0x45, 0 &&& 0x1fff, IP_PROTO_ICMP): parse_icmp;
            default: accept;
        }
    }

    state parse_tcp {
        pkt.extract(hdr.tcp);
        meta.l4_src_port = hdr.tcp.src_port;
        meta.l4_dst_port = hdr.tcp.dst_port;
        meta.ct_client_port = hdr.tcp.src_port;
        meta.ct_service_port = hdr.tcp.dst_port;
        meta.has_l4_ports = 1;
        transition accept;
    }

    state parse_udp {
        pkt.extract(hdr.udp);
        meta.l4_src_port = hdr.udp.src_port;
        meta.l4_dst_port = hdr.udp.dst_port;
        meta.ct_client_port = hdr.udp.src_port;
        meta.ct_service_port = hdr.udp.dst_port;
        meta.has_l4_ports = 1;
        transition accept;
    }

    state parse_sctp {
        pkt.extract(hdr.sctp);
        meta.l4_src_port = hdr.sctp.src_port;
        meta.l4_dst_port = hdr.sctp.dst_port;
        meta.ct_client_port = hdr.sctp.src_port;
        meta.ct_service_port = hdr.sctp.dst_port;
        meta.has_l4_ports = 1;
        transition accept;
    }

    state parse_icmp {
        pkt.extract(hdr.icmp);
        meta.icmp_type = hdr.icmp.msg_type;
        meta.icmp_code = hdr.icmp.msg_code;
        transition accept;
    }
}

/* ---------------------------------------------------------------- pre control (unused) */

control k8s_dp_pre_control(in headers_t hdr,
                           inout metadata_t meta,
                           in pna_pre_input_metadata_t istd,
                           inout pna_pre_output_metadata_t ostd) {
    apply { }
}

/* ---------------------------------------------------------------- main control */

control k8s_dp_control(inout headers_t hdr,
                       inout metadata_t meta,
                       in pna_main_input_metadata_t istd,
                       inout pna_main_output_metadata_t ostd) {

    /* Counters (indexed; the manager reads them by index). */
    @id(0x12000001)
    Counter<bit<64>, bit<32>>(TABLE_COUNTERS_SIZE, PNA_CounterType_t.PACKETS_AND_BYTES) table_counters;
    @id(0x12000002)
    Counter<bit<64>, bit<32>>(SERVICE_COUNTERS_SIZE, PNA_CounterType_t.PACKETS_AND_BYTES) service_counters;
    @id(0x12000003)
    Counter<bit<64>, bit<32>>(SERVICE_COUNTERS_SIZE, PNA_CounterType_t.PACKETS) service_drops;

    /*
     * Service backends are chosen in two steps, because DPDK 22.11's selector only accepts
     * member ids below its group size (rte_swx_table_selector): a selector cannot hold one
     * member per backend of every Service. Each selector therefore has one member per slot
     * (member id k + 1 = slot k, the same for every Service) and one group per Service,
     * listing as many slots as the Service has backends; service_slots then maps the
     * Service's index and the chosen slot to the backend.
     * p4c-dpdk turns the size argument into n_groups_max (one group per Service index) and
     * 2^outputWidth into n_members_per_group_max: 256 slots, of which member ids 1..255 are
     * usable, so a Service port has at most 255 backends. The group table costs
     * 4 bytes x 256 x 16384 = 16 MiB per selector in the DPDK target.
     * DPDK 22.11's selector always hashes with its built-in CRC32 function, whatever
     * algorithm is named here.
     */
    @id(0x11000001) @max_group_size(255)
    ActionSelector(PNA_HashAlgorithm_t.TARGET_DEFAULT, 32w16384, 32w8) service_backends;
    @id(0x11000002) @max_group_size(255)
    ActionSelector(PNA_HashAlgorithm_t.TARGET_DEFAULT, 32w16384, 32w8) service_backends_affinity;

    InternetChecksum() ip_checksum;
    InternetChecksum() l4_checksum;

    /* ------------------------------------------------------------ forwarding */

    @id(0x01000001)
    action arp_forward(PortId_t port) {
        send_to_port(port);
    }

    @id(0x02000001)
    table arp_to_port {
        key = {
            hdr.arp.tpa : exact;
        }
        actions = {
            arp_forward;
        }
        default_action = arp_forward((PortId_t) 32w0);
        size = 4096;
    }

    @id(0x01000002)
    action to_pod(PortId_t port, bit<48> pod_mac, bit<48> gateway_mac) {
        hdr.ethernet.dst_addr = pod_mac;
        hdr.ethernet.src_addr = gateway_mac;
        meta.host_mac = 0;
        send_to_port(port);
    }

    @id(0x01000003)
    action to_host(PortId_t port, bit<48> host_mac) {
        meta.host_mac = host_mac;
        send_to_port(port);
    }

    @id(0x02000002)
    table ipv4_to_port {
        key = {
            hdr.ipv4.dst_addr : exact;
        }
        actions = {
            to_pod;
            to_host;
        }
        default_action = to_host((PortId_t) 32w0, 48w0);
        size = 4096;
    }

    /* ------------------------------------------------------------ Services */

    @id(0x01000012)
    action to_service(bit<16> service_index, bit<8> timeout_profile) {
        meta.lb_result = LB_SELECT;
        meta.lb_affinity = 0;
        meta.service_index = service_index;
        meta.timeout_profile = timeout_profile;
    }

    @id(0x01000013)
    action to_service_affinity(bit<16> service_index, bit<8> timeout_profile) {
        meta.lb_result = LB_SELECT;
        meta.lb_affinity = 1;
        meta.service_index = service_index;
        meta.timeout_profile = timeout_profile;
    }

    @id(0x01000011)
    action drop_no_endpoints(bit<16> service_index) {
        meta.lb_result = LB_NO_ENDPOINTS;
        meta.service_index = service_index;
    }

    /* A Service frontend (cluster, external or load-balancer IP, or a node address with
     * a node port) -> the Service port's index. */
    @id(0x02000010)
    table service_lb {
        key = {
            hdr.ipv4.dst_addr : exact;
            hdr.ipv4.protocol : exact;
            meta.l4_dst_port  : exact;
        }
        actions = {
            to_service;
            to_service_affinity;
            drop_no_endpoints;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 65536;
    }

    @id(0x01000014)
    action pick_slot(bit<16> slot) {
        meta.lb_slot = slot;
    }

    /* The Service's group of slots; the selector hashes the flow's 5-tuple. */
    @id(0x02000012)
    table service_select {
        key = {
            meta.service_index   : exact;
            meta.ct_client_ip    : selector;
            meta.ct_service_ip   : selector;
            meta.ct_protocol     : selector;
            meta.ct_client_port  : selector;
            meta.ct_service_port : selector;
        }
        actions = {
            pick_slot;
            @defaultonly NoAction;
        }
        pna_implementation = service_backends;
        const default_action = NoAction();
        // Also the size of the selector's member table in the DPDK target.
        size = 16384;
    }

    /* The same for Services with ClientIP affinity: the selector hashes the client IP. */
    @id(0x02000013)
    table service_select_affinity {
        key = {
            meta.service_index : exact;
            meta.ct_client_ip  : selector;
        }
        actions = {
            pick_slot;
            @defaultonly NoAction;
        }
        pna_implementation = service_backends_affinity;
        const default_action = NoAction();
        size = 16384;
    }

    @id(0x01000010)
    action dnat_to_backend(bit<32> backend_ip, bit<16> backend_port) {
        meta.lb_result = LB_BACKEND;
        meta.backend_ip = backend_ip;
        meta.backend_port = backend_port;
    }

    /* (Service index, slot) -> the backend behind that slot. */
    @id(0x02000014)
    table service_slots {
        key = {
            meta.service_index : exact;
            meta.lb_slot       : exact;
        }
        actions = {
            dnat_to_backend;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 131072;
    }

    /* ------------------------------------------------------------ connection tracking */

    @id(0x01000020)
    action ct_forward_hit(bit<32> backend_ip, bit<16> backend_port) {
        meta.backend_ip = backend_ip;
        meta.backend_port = backend_port;
        restart_expire_timer();
    }

    @id(0x01000021)
    action ct_forward_miss() {
        add_entry(action_name = "ct_forward_hit",
                  action_params = (ct_forward_hit_params_t) {
                      backend_ip = meta.backend_ip,
                      backend_port = meta.backend_port },
                  expire_time_profile_id = (ExpireTimeProfileId_t) meta.timeout_profile);
    }

    @id(0x02000020)
    table ct_forward {
        key = {
            meta.ct_client_ip    : exact;
            meta.ct_service_ip   : exact;
            meta.ct_protocol     : exact;
            meta.ct_client_port  : exact;
            meta.ct_service_port : exact;
        }
        actions = {
            @tableonly ct_forward_hit;
            @defaultonly ct_forward_miss;
        }
        add_on_miss = true;
        idle_timeout_with_auto_delete = true;
        const default_action = ct_forward_miss;
        size = 65536;
    }

    @id(0x01000022)
    action ct_reverse_hit(bit<32> service_ip, bit<16> service_port) {
        meta.service_ip = service_ip;
        meta.service_port = service_port;
        restart_expire_timer();
    }

    @id(0x01000023)
    action ct_reverse_miss() {
        if (meta.dnat_done == 1) {
            add_entry(action_name = "ct_reverse_hit",
                      action_params = (ct_reverse_hit_params_t) {
                          service_ip = meta.service_ip,
                          service_port = meta.service_port },
                      expire_time_profile_id = (ExpireTimeProfileId_t) meta.timeout_profile);
        }
    }

    @id(0x02000021)
    table ct_reverse {
        key = {
            meta.reply_src_ip   : exact;
            meta.reply_dst_ip   : exact;
            meta.reply_protocol : exact;
            meta.reply_src_port : exact;
            meta.reply_dst_port : exact;
        }
        actions = {
            @tableonly ct_reverse_hit;
            @defaultonly ct_reverse_miss;
        }
        add_on_miss = true;
        idle_timeout_with_auto_delete = true;
        const default_action = ct_reverse_miss;
        size = 65536;
    }

    /* ------------------------------------------------------------ NetworkPolicy */

    @id(0x01000030)
    action acl_check(bit<16> acl_id) {
        meta.acl_id = acl_id;
        meta.policy_seen = 1;
    }

    @id(0x01000031)
    action acl_allow() {
    }

    @id(0x01000032)
    action acl_deny() {
        meta.acl_denied = 1;
    }

    @id(0x02000030)
    table acl_egress_endpoint {
        key = {
            hdr.ipv4.src_addr : exact;
        }
        actions = {
            acl_check;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 4096;
    }

    @id(0x02000031)
    table acl_egress_rules {
        key = {
            meta.acl_id       : exact;
            hdr.ipv4.dst_addr : ternary;
            hdr.ipv4.protocol : ternary;
            meta.l4_dst_port  : range;
            meta.icmp_type    : ternary;
            meta.icmp_code    : ternary;
        }
        actions = {
            acl_allow;
            acl_deny;
        }
        const default_action = acl_deny();
        size = 16384;
    }

    @id(0x02000032)
    table acl_ingress_endpoint {
        key = {
            hdr.ipv4.dst_addr : exact;
        }
        actions = {
            acl_check;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = 4096;
    }

    @id(0x02000033)
    table acl_ingress_rules {
        key = {
            meta.acl_id       : exact;
            hdr.ipv4.src_addr : ternary;
            hdr.ipv4.protocol : ternary;
            meta.l4_dst_port  : range;
            meta.icmp_type    : ternary;
            meta.icmp_code    : ternary;
        }
        actions = {
            acl_allow;
            acl_deny;
        }
        const default_action = acl_deny();
        size = 16384;
    }

    @id(0x01000033)
    action acl_flows_hit() {
        restart_expire_timer();
    }

    @id(0x01000034)
    action acl_flows_miss() {
        if (meta.acl_denied == 0) {
            add_entry(action_name = "acl_flows_hit",
                      action_params = (acl_flows_hit_params_t) {},
                      expire_time_profile_id = (ExpireTimeProfileId_t) ACL_FLOW_TIMEOUT_PROFILE);
        }
    }

    @id(0x02000034)
    table acl_flows {
        key = {
            meta.flow_lo_ip    : exact;
            meta.flow_hi_ip    : exact;
            meta.flow_protocol : exact;
            meta.flow_lo_port  : exact;
            meta.flow_hi_port  : exact;
        }
        actions = {
            @tableonly acl_flows_hit;
            @defaultonly acl_flows_miss;
        }
        add_on_miss = true;
        idle_timeout_with_auto_delete = true;
        const default_action = acl_flows_miss;
        size = 65536;
    }

    /* ------------------------------------------------------------ apply */

    apply {
        meta.lb_result = LB_NONE;
        meta.dnat_done = 0;
        meta.is_reply = 0;
        meta.acl_id = 0;
        meta.policy_seen = 0;
        meta.acl_denied = 0;
        meta.acl_established = 0;
        meta.host_mac = 0;
        meta.drop = 0;
        meta.timeout_profile = 0;
        meta.lb_affinity = 0;

        if (hdr.arp.isValid()) {
            /* ARP: by target IP to the ARP proxy, a pod, or (default) the host. */
            meta.byte_count = ARP_FRAME_BYTES;
            if (arp_to_port.apply().hit) {
                table_counters.count(TC_ARP_TO_PORT_HIT, meta.byte_count);
            } else {
                table_counters.count(TC_ARP_TO_PORT_MISS, meta.byte_count);
            }
        } else if (hdr.ipv4.isValid()) {
            meta.byte_count = (bit<32>) hdr.ipv4.total_len + ETHERNET_HEADER_BYTES;

            /* 1. Services: VIP or NodePort -> the Service, a slot chosen by its selector,
             *    the backend in that slot. A slot without a backend (a change between
             *    two commits) drops the packet as "no endpoints" rather than let it
             *    reach the Service address unchanged. */
            if (meta.has_l4_ports == 1) {
                if (service_lb.apply().hit) {
                    table_counters.count(TC_SERVICE_LB_HIT, meta.byte_count);
                    if (meta.lb_result == LB_SELECT) {
                        if (meta.lb_affinity == 1) {
                            service_select_affinity.apply();
                        } else {
                            service_select.apply();
                        }
                        if (service_slots.apply().hit) {
                            table_counters.count(TC_SERVICE_SLOTS_HIT, meta.byte_count);
                        } else {
                            table_counters.count(TC_SERVICE_SLOTS_MISS, meta.byte_count);
                            meta.lb_result = LB_NO_ENDPOINTS;
                        }
                    }
                } else {
                    table_counters.count(TC_SERVICE_LB_MISS, meta.byte_count);
                }
            }

            if (meta.lb_result == LB_NO_ENDPOINTS) {
                service_drops.count((bit<32>) meta.service_index);
                meta.drop = 1;
            } else if (meta.lb_result == LB_BACKEND) {
                /* 2. Pin the flow: an established flow keeps its backend. */
                if (ct_forward.apply().hit) {
                    table_counters.count(TC_CT_FORWARD_HIT, meta.byte_count);
                } else {
                    table_counters.count(TC_CT_FORWARD_MISS, meta.byte_count);
                }
                service_counters.count((bit<32>) meta.service_index, meta.byte_count);

                /* 3. DNAT to the backend; checksums updated incrementally. */
                meta.service_ip = hdr.ipv4.dst_addr;
                meta.service_port = meta.l4_dst_port;

                ip_checksum.clear();
                ip_checksum.subtract(hdr.ipv4.header_checksum);
                ip_checksum.subtract(hdr.ipv4.dst_addr);
                if (hdr.tcp.isValid()) {
                    l4_checksum.clear();
                    l4_checksum.subtract(hdr.tcp.checksum);
                    l4_checksum.subtract(hdr.ipv4.dst_addr);
                    l4_checksum.subtract(hdr.tcp.dst_port);
                    hdr.ipv4.dst_addr = meta.backend_ip;
                    hdr.tcp.dst_port = meta.backend_port;
                    l4_checksum.add(hdr.ipv4.dst_addr);
                    l4_checksum.add(hdr.tcp.dst_port);
                    hdr.tcp.checksum = l4_checksum.get();
                } else if (hdr.udp.isValid()) {
                    if (hdr.udp.checksum != 0) {
                        l4_checksum.clear();
                        l4_checksum.subtract(hdr.udp.checksum);
                        l4_checksum.subtract(hdr.ipv4.dst_addr);
                        l4_checksum.subtract(hdr.udp.dst_port);
                        hdr.ipv4.dst_addr = meta.backend_ip;
                        hdr.udp.dst_port = meta.backend_port;
                        l4_checksum.add(hdr.ipv4.dst_addr);
                        l4_checksum.add(hdr.udp.dst_port);
                        hdr.udp.checksum = l4_checksum.get();
                    } else {
                        hdr.ipv4.dst_addr = meta.backend_ip;
                        hdr.udp.dst_port = meta.backend_port;
                    }
                } else {
                    /* SCTP: its CRC32c covers the ports and is not updated (README). */
                    hdr.ipv4.dst_addr = meta.backend_ip;
                    hdr.sctp.dst_port = meta.backend_port;
                }
                ip_checksum.add(hdr.ipv4.dst_addr);
                hdr.ipv4.header_checksum = ip_checksum.get();
                meta.l4_dst_port = meta.backend_port;
                meta.dnat_done = 1;
            }

            if (meta.drop == 0 && meta.has_l4_ports == 1) {
                /* 4. Reply tracking. A DNAT'd packet looks up (and on a miss learns) the
                 *    tuple its replies will carry; any other packet looks up its own
                 *    tuple, and a hit makes it a reply from a backend. */
                if (meta.dnat_done == 1) {
                    meta.reply_src_ip = hdr.ipv4.dst_addr;
                    meta.reply_dst_ip = hdr.ipv4.src_addr;
                    meta.reply_protocol = hdr.ipv4.protocol;
                    meta.reply_src_port = meta.l4_dst_port;
                    meta.reply_dst_port = meta.l4_src_port;
                } else {
                    meta.reply_src_ip = hdr.ipv4.src_addr;
                    meta.reply_dst_ip = hdr.ipv4.dst_addr;
                    meta.reply_protocol = hdr.ipv4.protocol;
                    meta.reply_src_port = meta.l4_src_port;
                    meta.reply_dst_port = meta.l4_dst_port;
                }
                if (ct_reverse.apply().hit) {
                    table_counters.count(TC_CT_REVERSE_HIT, meta.byte_count);
                    if (meta.dnat_done == 0) {
                        meta.is_reply = 1;
                    }
                } else {
                    table_counters.count(TC_CT_REVERSE_MISS, meta.byte_count);
                }
            }

            if (meta.drop == 0) {
                /* 5. NetworkPolicy on the post-DNAT, pre-SNAT packet. */
                if (acl_egress_endpoint.apply().hit) {
                    table_counters.count(TC_ACL_EGRESS_ENDPOINT_HIT, meta.byte_count);
                    if (acl_egress_rules.apply().hit) {
                        table_counters.count(TC_ACL_EGRESS_RULES_HIT, meta.byte_count);
                    } else {
                        table_counters.count(TC_ACL_EGRESS_RULES_MISS, meta.byte_count);
                    }
                } else {
                    table_counters.count(TC_ACL_EGRESS_ENDPOINT_MISS, meta.byte_count);
                }
                if (acl_ingress_endpoint.apply().hit) {
                    table_counters.count(TC_ACL_INGRESS_ENDPOINT_HIT, meta.byte_count);
                    if (acl_ingress_rules.apply().hit) {
                        table_counters.count(TC_ACL_INGRESS_RULES_HIT, meta.byte_count);
                    } else {
                        table_counters.count(TC_ACL_INGRESS_RULES_MISS, meta.byte_count);
                    }
                } else {
                    table_counters.count(TC_ACL_INGRESS_ENDPOINT_MISS, meta.byte_count);
                }

                /* 6. Allowed flows, either direction: canonical tuple, lower address first. */
                if (meta.policy_seen == 1) {
                    meta.flow_protocol = hdr.ipv4.protocol;
                    if (hdr.ipv4.src_addr < hdr.ipv4.dst_addr ||
                        (hdr.ipv4.src_addr == hdr.ipv4.dst_addr &&
                         meta.l4_src_port <= meta.l4_dst_port)) {
                        meta.flow_lo_ip = hdr.ipv4.src_addr;
                        meta.flow_hi_ip = hdr.ipv4.dst_addr;
                        meta.flow_lo_port = meta.l4_src_port;
                        meta.flow_hi_port = meta.l4_dst_port;
                    } else {
                        meta.flow_lo_ip = hdr.ipv4.dst_addr;
                        meta.flow_hi_ip = hdr.ipv4.src_addr;
                        meta.flow_lo_port = meta.l4_dst_port;
                        meta.flow_hi_port = meta.l4_src_port;
                    }
                    if (acl_flows.apply().hit) {
                        table_counters.count(TC_ACL_FLOWS_HIT, meta.byte_count);
                        meta.acl_established = 1;
                    } else {
                        table_counters.count(TC_ACL_FLOWS_MISS, meta.byte_count);
                    }
                    if (meta.acl_denied == 1 && meta.acl_established == 0 && meta.is_reply == 0) {
                        table_counters.count(TC_DROP_ACL_DENIED, meta.byte_count);
                        meta.drop = 1;
                    }
                }
            }

            if (meta.drop == 0 && meta.is_reply == 1) {
                /* 7. SNAT a backend's reply back to the Service address. */
                ip_checksum.clear();
                ip_checksum.subtract(hdr.ipv4.header_checksum);
                ip_checksum.subtract(hdr.ipv4.src_addr);
                if (hdr.tcp.isValid()) {
                    l4_checksum.clear();
                    l4_checksum.subtract(hdr.tcp.checksum);
                    l4_checksum.subtract(hdr.ipv4.src_addr);
                    l4_checksum.subtract(hdr.tcp.src_port);
                    hdr.ipv4.src_addr = meta.service_ip;
                    hdr.tcp.src_port = meta.service_port;
                    l4_checksum.add(hdr.ipv4.src_addr);
                    l4_checksum.add(hdr.tcp.src_port);
                    hdr.tcp.checksum = l4_checksum.get();
                } else if (hdr.udp.isValid()) {
                    if (hdr.udp.checksum != 0) {
                        l4_checksum.clear();
                        l4_checksum.subtract(hdr.udp.checksum);
                        l4_checksum.subtract(hdr.ipv4.src_addr);
                        l4_checksum.subtract(hdr.udp.src_port);
                        hdr.ipv4.src_addr = meta.service_ip;
                        hdr.udp.src_port = meta.service_port;
                        l4_checksum.add(hdr.ipv4.src_addr);
                        l4_checksum.add(hdr.udp.src_port);
                        hdr.udp.checksum = l4_checksum.get();
                    } else {
                        hdr.ipv4.src_addr = meta.service_ip;
                        hdr.udp.src_port = meta.service_port;
                    }
                } else {
                    hdr.ipv4.src_addr = meta.service_ip;
                    hdr.sctp.src_port = meta.service_port;
                }
                ip_checksum.add(hdr.ipv4.src_addr);
                hdr.ipv4.header_checksum = ip_checksum.get();
            }

            if (meta.drop == 0) {
                /* 8. Forward by (post-NAT) destination address. */
                if (ipv4_to_port.apply().hit) {
                    table_counters.count(TC_IPV4_TO_PORT_HIT, meta.byte_count);
                } else {
                    table_counters.count(TC_IPV4_TO_PORT_MISS, meta.byte_count);
                }
                if (meta.host_mac != 0) {
                    hdr.ethernet.dst_addr = meta.host_mac;
                }
            } else {
                drop_packet();
            }
        } else {
            /* Neither ARP nor IPv4: dropped and counted. The byte count goes through
             * metadata: DPDK 22.11 miscounts two consecutive register adds whose index
             * and value are both immediates (the bytes land in the packets array). */
            meta.byte_count = ETHERNET_HEADER_BYTES;
            table_counters.count(TC_DROP_UNSUPPORTED_FRAME, meta.byte_count);
            drop_packet();
        }
    }
}

/* ---------------------------------------------------------------- deparser */

control k8s_dp_deparser(packet_out pkt,
                        in headers_t hdr,
                        in metadata_t meta,
                        in pna_main_output_metadata_t ostd) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.arp);
        pkt.emit(hdr.ipv4);
        pkt.emit(hdr.tcp);
        pkt.emit(hdr.udp);
        pkt.emit(hdr.sctp);
        pkt.emit(hdr.icmp);
    }
}

PNA_NIC(k8s_dp_parser(),
        k8s_dp_pre_control(),
        k8s_dp_control(),
        k8s_dp_deparser()) main;
