# shellcheck shell=bash
# Real CNI peers for the host-side tests (Tests/AgentCNITests): cnitool, built from Debian's
# source package because Debian ships libcni but excludes the cnitool command, and a busybox
# root filesystem for podman containers (no image registry is reachable, so `--rootfs`).
# Source this file, then call cni_peers <dir>; it prints nothing and is idempotent: each
# piece is rebuilt only when it is missing. Needs the Debian packages golang-go,
# golang-github-appc-cni-dev, dpkg-dev, busybox-static (scripts/setup --test installs them).
#
#   <dir>/cnitool          the CNI project's cnitool (Debian's golang-github-appc-cni source)
#   <dir>/rootfs/bin/sh    a busybox-static root filesystem for `podman run --rootfs`

cni_peers() {
    local dir=$1
    mkdir -p "$dir"
    if [[ ! -x $dir/cnitool ]]; then
        local work
        work=$(mktemp -d)
        # A private deb-src list: the system's apt sources stay untouched.
        local uris
        uris=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
        [[ -n $uris ]] || uris=http://deb.debian.org/debian
        mkdir -p "$work/aptsrc/lists/partial"
        printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$uris" >"$work/aptsrc/src.sources"
        local options=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/aptsrc" -o "Dir::State::Lists=$work/aptsrc/lists")
        apt-get "${options[@]}" update -qq >&2
        (cd "$work" && apt-get "${options[@]}" source -qq golang-github-appc-cni >/dev/null 2>&1) || {
            echo "cni_peers: apt-get source golang-github-appc-cni failed" >&2
            rm -rf "$work"
            return 1
        }
        local source
        source=$(find "$work" -maxdepth 3 -path '*/cnitool/cnitool.go' | head -1)
        [[ -n $source ]] || { echo "cni_peers: cnitool.go not in the source package" >&2; rm -rf "$work"; return 1; }
        # GOPATH mode against Debian's packaged libcni: the module build wants ginkgo from the network.
        mkdir -p "$work/gopath/src/cnitool"
        cp "$source" "$work/gopath/src/cnitool/"
        (cd "$work/gopath/src/cnitool" && GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOPROXY=off \
            GOCACHE="$work/gocache" go build -o "$dir/cnitool.new" .) >&2 || { rm -rf "$work"; return 1; }
        mv "$dir/cnitool.new" "$dir/cnitool"
        rm -rf "$work"
    fi
    if [[ ! -x $dir/rootfs/bin/sh ]]; then
        rm -rf "$dir/rootfs"
        mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/etc" "$dir/rootfs/tmp"
        cp /bin/busybox "$dir/rootfs/bin/busybox"
        local applet
        for applet in sh ip ping arping sleep cat ls; do ln -sf busybox "$dir/rootfs/bin/$applet"; done
    fi
}
