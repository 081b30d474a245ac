# shellcheck shell=bash
# The two DPDK headers the SWX pipeline's generated C includes, rte_swx_pipeline_internal.h and
# rte_swx_pipeline_spec.h, are not in Debian's binary packages (libdpdk-dev). They are in
# Debian's `dpdk` source package, which this fetches through a private deb-src list (the
# system's apt sources stay untouched) into the gitignored cache .cache/dpdk, keeping only
# those headers: infra-p4-dpdk passes .cache/dpdk/include to gcc when it builds a pipeline.
#
# Usage (from scripts/setup): source it, then `dpdk_internal_header "$root"`.

dpdk_internal_header() {
    local root=$1
    local cache="$root/.cache/dpdk"
    local header="$cache/include/rte_swx_pipeline_internal.h"
    local headers=(rte_swx_pipeline_internal.h rte_swx_pipeline_spec.h)
    local version
    version=$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null) || {
        echo "setup: libdpdk-dev is not installed; cannot fetch the matching DPDK source" >&2
        return 1
    }
    # Quick path: already fetched for the installed libdpdk-dev.
    if [ -s "$header" ] && [ -s "$cache/include/rte_swx_pipeline_spec.h" ] &&
        [ "$(cat "$cache/include/VERSION" 2>/dev/null)" = "$version" ]; then
        return 0
    fi
    if ! command -v dpkg-source >/dev/null; then
        # dpkg-source (dpkg-dev) unpacks the source package.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev >/dev/null
    fi
    local mirror
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    local apt="$cache/apt" work="$cache/work"
    rm -rf "$work" && mkdir -p "$apt/lists/partial" "$work" "$cache/include"
    cat >"$apt/src.sources" <<SOURCES
Types: deb-src
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    local options=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$cache/apt-cache")
    echo "setup: fetching Debian's dpdk $version source for ${headers[*]}"
    apt-get "${options[@]}" update -qq
    # The exact version of the installed library, so the header matches its ABI; unpacked with
    # Debian's patches applied.
    (cd "$work" && apt-get "${options[@]}" source -qq "dpdk=$version" >/dev/null 2>&1)
    local name found
    for name in "${headers[@]}"; do
        found=$(find "$work" -path "*/lib/pipeline/$name" | head -1)
        [ -n "$found" ] || { echo "setup: the dpdk source has no lib/pipeline/$name" >&2; return 1; }
        cp "$found" "$cache/include/$name.tmp" && mv "$cache/include/$name.tmp" "$cache/include/$name"
    done
    echo "$version" >"$cache/include/VERSION"
    rm -rf "$work"
}
