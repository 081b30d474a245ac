# shellcheck shell=bash
# Helpers for scripts/demo-node: the lab node's links and namespaces, and its teardown.
# Every name starts with "dn" so teardown can find exactly what the demo made (and what an
# interrupted earlier run left behind) without touching anything else on the machine.

demo_step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
demo_note() { printf '   %s\n' "$*"; }
demo_run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

# The namespaces and the root-namespace links of the lab node.
demo_namespaces=(dn-host dn-arp dn-pod-a dn-pod-b dn-pod-c)
# P4 port i is the af_packet port on dnp4p<i>: 0 host stack, 1 ARP proxy, 2-4 the pool.
demo_p4_ports=(dnp4p0 dnp4p1 dnp4p2 dnp4p3 dnp4p4)
demo_pool=(dnpool0 dnpool1 dnpool2)

# A veth pair whose first end stays in the root namespace, both up, no IPv6 chatter.
demo_veth() {
    local root_end=$1 other=$2
    ip link add "$root_end" type veth peer name "$other"
    sysctl -qw "net.ipv6.conf.$root_end.disable_ipv6=1" "net.ipv6.conf.$other.disable_ipv6=1"
    ip link set "$root_end" up
}

# The wiring: P4 ports 0 and 1 reach the host's own stack (dn-host) and the ARP proxy
# (dn-arp); ports 2-4 are veth pairs whose other end (dnpool*) is the agent's interface pool.
demo_links_up() {
    local gateway_mac=$1 host_mac=$2
    local ns
    for ns in dn-host dn-arp; do
        ip netns add "$ns"
        ip netns exec "$ns" ip link set lo up
    done
    demo_veth dnp4p0 dnhost0
    ip link set dnhost0 netns dn-host address "$host_mac"
    ip -n dn-host link set dnhost0 up
    ip -n dn-host addr add 10.10.0.3/24 dev dnhost0
    demo_veth dnp4p1 dnarp0
    ip link set dnarp0 netns dn-arp address "$gateway_mac"
    ip -n dn-arp link set dnarp0 up
    local i
    for i in 0 1 2; do
        demo_veth "dnp4p$((i + 2))" "dnpool$i"
        ip link set "dnpool$i" up
    done
}

# Pod namespaces as a container runtime makes them: empty, with loopback up.
demo_pod_namespace() {
    ip netns add "$1"
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# Removes every namespace and link named like the demo's; safe to run twice.
demo_links_down() {
    local ns link
    for ns in "${demo_namespaces[@]}"; do
        [ -e "/var/run/netns/$ns" ] && { ip netns delete "$ns" 2>/dev/null || true; }
    done
    for link in "${demo_p4_ports[@]}" "${demo_pool[@]}"; do
        ip link show "$link" >/dev/null 2>&1 && { ip link delete "$link" 2>/dev/null || true; }
    done
    return 0
}

# Waits until `command...` succeeds, at most $1 tenths of a second.
demo_wait() {
    local tenths=$1
    shift
    local _
    for _ in $(seq "$tenths"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
