#!/usr/bin/env bash
# install.sh of an InfraOffload bundle (infra-ipu-* or infra-host-*), copied into the tarball
# by scripts/package-ipu / scripts/package-host. It installs the bundle's files/ tree at the
# same paths under the root, keeps what an operator owns (configuration, PKI, state), and
# enables and starts the units when it runs on a live systemd host.
#
#   ./install.sh [--root DIR] [--node NAME] [--pki DIR] [--identity NAME]
#                [--target none|emulator|dpdk] [--arp-proxy] [--no-start]
#   ./install.sh --uninstall [--root DIR] [--purge]
#
#   --root DIR       install under DIR instead of / (DESTDIR in the environment does the same);
#                    nothing is started there, units are only enabled (symlinks)
#   --node NAME      the Kubernetes node name written into a fresh configuration
#   --pki DIR        an `infra-pki apply` output directory: this side's identities are copied
#                    to where the daemons read them (keys 0600, owned by the daemon's user)
#   --identity NAME  host: the agent identity in DIR (default agent-<node>)
#   --target T       IPU: also enable a P4Runtime target on this machine (host mode, labs);
#                    the default `none` expects infrap4d
#   --arp-proxy      host: also enable arp-proxy.service (needs the infra-arp namespace)
#   --no-start       enable but do not start or restart anything
#   --uninstall      stop, disable and remove the installed files; configuration, PKI and
#                    state stay unless --purge is given too
#
# An upgrade is the same command with a newer bundle: binaries, units and shipped data are
# replaced (each file renamed into place), configuration, PKI and state are kept, and units
# that were running are restarted.
set -euo pipefail
bundle=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$bundle/bundle.conf"    # SIDE, VERSION, ARCH, UNITS, DEFAULT_UNITS, CONFIG_FILES, CONFIG_CHECKS, STATE_DIRS, PKI_DIRS

root=${DESTDIR:-/}
node="" pki="" identity="" target=none arp_proxy=no start=yes action=install purge=no
fail() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case $1 in
        --root) root=${2:?--root needs a directory}; shift ;;
        --node) node=${2:?--node needs a name}; shift ;;
        --pki) pki=${2:?--pki needs a directory}; shift ;;
        --identity) identity=${2:?--identity needs a name}; shift ;;
        --target) target=${2:?--target needs none, emulator or dpdk}; shift ;;
        --arp-proxy) arp_proxy=yes ;;
        --no-start) start=no ;;
        --uninstall) action=uninstall ;;
        --purge) purge=yes ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) fail "unknown argument \"$1\" (see --help)" ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || fail "must run as root (file owners and modes are part of the install)"
mkdir -p "$root"
root=$(cd "$root" && pwd)
prefix=${root%/}                 # "" for the live system
live=no
[ "$root" = / ] && [ -d /run/systemd/system ] && live=yes
manifest="$prefix/usr/share/infra/$SIDE.files"
systemctl_root() { if [ "$root" = / ]; then systemctl "$@"; else systemctl --root="$root" "$@"; fi; }

# uid of a user in the target root's /etc/passwd (the host's may not have it)
uid_in_root() {
    if [ "$1" = root ]; then echo 0; return; fi
    awk -F: -v u="$1" '$1 == u { print $3; found=1 } END { exit !found }' "$prefix/etc/passwd"
}
gid_in_root() {
    if [ "$1" = root ]; then echo 0; return; fi
    awk -F: -v u="$1" '$1 == u { print $4 }' "$prefix/etc/passwd"
}

uninstall() {
    [ -f "$manifest" ] || fail "nothing to uninstall: $manifest is missing"
    local unit
    for unit in $UNITS; do
        if [ "$live" = yes ]; then systemctl disable --now "$unit" >/dev/null 2>&1 || true
        else systemctl_root disable "$unit" >/dev/null 2>&1 || true; fi
    done
    while IFS= read -r path; do rm -f "$prefix$path"; done <"$manifest"
    rm -f "$manifest"
    if [ "$purge" = yes ]; then
        local dir
        for dir in $STATE_DIRS $CONFIG_FILES $PKI_DIRS; do rm -rf "${prefix:?}$dir"; done
        echo "install.sh: removed infra-$SIDE $VERSION with its configuration, PKI and state"
    else
        echo "install.sh: removed infra-$SIDE $VERSION; kept configuration (/etc/infra), PKI and state"
    fi
    [ "$live" = yes ] && systemctl daemon-reload
    return 0
}

# The bundle must be whole before anything is touched.
(cd "$bundle" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the bundle's files; download it again"

if [ "$action" = uninstall ]; then uninstall; exit 0; fi

case $target in none|emulator|dpdk) ;; *) fail "--target: invalid value \"$target\": must be none, emulator or dpdk" ;; esac
[ "$SIDE" = ipu ] || [ "$target" = none ] || fail "--target is for the IPU bundle"
[ "$SIDE" = host ] || [ "$arp_proxy" = no ] || fail "--arp-proxy is for the host bundle"
if [ "$target" = dpdk ] && [ ! -f "$bundle/files/usr/bin/infra-p4-dpdk" ]; then
    fail "--target dpdk: this bundle has no infra-p4-dpdk"
fi

# Check every input before the first write: fresh configuration needs --node, --pki needs
# this side's identity files.
upgrade=no
[ -f "$manifest" ] && upgrade=yes
for config in $CONFIG_FILES; do
    if [ ! -e "$prefix$config" ] && grep -q '@NODE_NAME@' "$bundle/defaults$config" && [ -z "$node" ]; then
        fail "$config does not exist yet: give --node NAME (the Kubernetes node name) to create it"
    fi
done
[ -n "$node" ] && ! printf '%s' "$node" | grep -Eq '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' &&
    fail "--node: invalid value \"$node\": not a Kubernetes node name"
pki_plan=()                     # "source-dir destination-dir owner"
if [ -n "$pki" ]; then
    [ -d "$pki" ] || fail "--pki: \"$pki\" is not a directory"
    case $SIDE in
        ipu)
            pki_plan=("$pki/manager-server /etc/infra/pki/manager-server infra-manager"
                      "$pki/p4rt-client /etc/infra/pki/p4rt-client infra-manager"
                      "$pki/infrap4d /usr/share/stratum/certs root") ;;
        host)
            [ -n "$identity" ] || identity=agent-${node:-$(sed -n 's/^nodeName: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$prefix/etc/infra/agent.yaml" 2>/dev/null)}
            [ "$identity" != agent- ] || fail "--pki: give --identity or --node to choose the agent identity"
            pki_plan=("$pki/$identity /etc/infra/pki/agent root") ;;
    esac
    for entry in "${pki_plan[@]}"; do
        read -r source _ _ <<<"$entry"
        [ -f "$source/ca.crt" ] || fail "--pki: $source/ca.crt is missing (run infra-pki apply for this identity)"
        ls "$source"/*.key >/dev/null 2>&1 || fail "--pki: $source has no private key"
    done
fi

# Files: each is copied next to its destination and renamed over it, so a running daemon
# keeps its old inode and an interrupted upgrade leaves whole files.
mkdir -p "$(dirname "$manifest")"
new_manifest=$(mktemp "$prefix/usr/share/infra/.$SIDE.files.XXXXXX")
(cd "$bundle/files" && find . -type f | sed 's|^\.||' | sort) >"$new_manifest"
while IFS= read -r path; do
    mkdir -p "$(dirname "$prefix$path")"
    install -m "$(stat -c %a "$bundle/files$path")" "$bundle/files$path" "$prefix$path.infra-new"
    mv -f "$prefix$path.infra-new" "$prefix$path"
done <"$new_manifest"
# Files of the previous version that this one no longer ships.
if [ "$upgrade" = yes ]; then
    comm -23 <(sort "$manifest") "$new_manifest" | while IFS= read -r path; do rm -f "$prefix$path"; done
fi
echo "$manifest" | sed "s|^$prefix||" >>"$new_manifest"
mv -f "$new_manifest" "$manifest"
chmod 0644 "$manifest"

# Users and directories from sysusers.d / tmpfiles.d.
if [ -f "$prefix/usr/lib/sysusers.d/infra.conf" ]; then
    mkdir -p "$prefix/etc"
    if [ "$root" = / ]; then systemd-sysusers /usr/lib/sysusers.d/infra.conf
    else systemd-sysusers --root="$root" "$prefix/usr/lib/sysusers.d/infra.conf"; fi
fi
if [ -f "$prefix/usr/lib/tmpfiles.d/infra.conf" ]; then
    if [ "$root" = / ]; then systemd-tmpfiles --create /usr/lib/tmpfiles.d/infra.conf
    else systemd-tmpfiles --root="$root" --create "$prefix/usr/lib/tmpfiles.d/infra.conf"; fi
fi

# Configuration: created once, never overwritten (the shipped default stays in
# /usr/share/infra/defaults for comparison).
for config in $CONFIG_FILES; do
    if [ -e "$prefix$config" ]; then
        echo "install.sh: kept $config"
    else
        mkdir -p "$(dirname "$prefix$config")"
        sed "s/@NODE_NAME@/$node/" "$bundle/defaults$config" >"$prefix$config.infra-new"
        chmod 0644 "$prefix$config.infra-new"
        mv -f "$prefix$config.infra-new" "$prefix$config"
        echo "install.sh: created $config"
    fi
done

# PKI: directories 0700, keys 0600 and certificates 0644, owned by the daemon reading them.
for entry in "${pki_plan[@]}"; do
    read -r source destination owner <<<"$entry"
    uid=$(uid_in_root "$owner") || fail "user $owner is missing in $prefix/etc/passwd"
    gid=$(gid_in_root "$owner")
    install -d -m 0700 -o "$uid" -g "$gid" "$prefix$destination"
    for file in "$source"/*; do
        [ -f "$file" ] || continue
        mode=0644
        case $file in *.key) mode=0600 ;; esac
        install -m "$mode" -o "$uid" -g "$gid" "$file" "$prefix$destination/.$(basename "$file").infra-new"
        mv -f "$prefix$destination/.$(basename "$file").infra-new" "$prefix$destination/$(basename "$file")"
    done
    echo "install.sh: installed PKI $(basename "$source") in $destination"
done
if [ ${#pki_plan[@]} -eq 0 ] && [ "$upgrade" = no ]; then
    echo "install.sh: no PKI installed yet; run again with --pki DIR (an infra-pki apply output)" >&2
fi

# Units: enabled on a fresh install (the default set plus the chosen extras); on an upgrade
# the operator's choice of enabled units stays.
enable=()
if [ "$upgrade" = no ]; then enable=($DEFAULT_UNITS); fi
case $target in emulator) enable+=(infra-p4-emulator.service) ;; dpdk) enable+=(infra-p4-dpdk.service) ;; esac
[ "$arp_proxy" = yes ] && enable+=(arp-proxy.service)
[ "$live" = yes ] && systemctl daemon-reload
if [ ${#enable[@]} -gt 0 ]; then systemctl_root enable "${enable[@]}" >/dev/null 2>&1 || systemctl_root enable "${enable[@]}"; fi

if [ "$live" = yes ] && [ "$start" = yes ]; then
    for check in $CONFIG_CHECKS; do
        IFS=: read -ra command <<<"$check"
        "${command[@]}" >/dev/null || fail "configuration check failed (${command[*]}); fix it, then: systemctl restart $DEFAULT_UNITS"
    done
    for unit in $UNITS; do
        if systemctl is-enabled --quiet "$unit" 2>/dev/null; then systemctl restart "$unit"; fi
    done
    echo "install.sh: infra-$SIDE $VERSION installed and started"
else
    echo "install.sh: infra-$SIDE $VERSION installed under $root (units enabled, not started)"
fi
