# Shared by scripts/package-ipu and scripts/package-host: one release build of every product
# with the Swift runtime linked in, the library check, and the bundle layout.
#
# A bundle directory holds:
#   files/       the tree install.sh copies to the same paths under the root
#   defaults/    configuration files created once (never overwritten on upgrade)
#   install.sh   scripts/lib/bundle-install.sh
#   bundle.conf  what install.sh needs to know about this side
#   SHA256SUMS   of everything above

package_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
package_build_path=${INFRA_PACKAGE_BUILD_PATH:-$package_root/.build-static}
package_out=${INFRA_PACKAGE_OUT:-$package_root/out}
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

package_version() {
    sed -n 's/.*static let release = "\(.*\)".*/\1/p' "$package_root/Sources/InfraAPI/Version.swift"
}

# True when Package.swift declares the product (infra-p4-dpdk may not exist yet).
package_has_product() {
    grep -q "\.executable(name: \"$1\"" "$package_root/Package.swift"
}

# One `swift build` for the IPU and host products together: the second package script then
# finds everything built. The Swift runtime and Foundation are linked statically, because
# neither the IPU's OS nor a plain host has a Swift runtime.
#
# zlib is linked statically too: grpc-swift-nio-transport asks for `-lz` (message compression),
# and a directory holding only Debian's libz.a (zlib1g-dev) makes the linker take the archive
# instead of libz.so.1. GNU ld searches -L directories in command-line order, and Debian's
# libsystemd.pc puts `-L/usr/lib/<triplet>` (where libz.so lives) first, so the build reads a
# copy of libsystemd.pc without that -L (the directory is searched by default anyway).
# `--skip-build` (the scripts' only option) reuses what is in the build path.
package_build() {
    local static_libs="$package_build_path/static-libs" libz build
    libz=$(gcc -print-file-name=libz.a)
    [ -f "$libz" ] || { echo "package: libz.a not found (install zlib1g-dev)" >&2; return 1; }
    mkdir -p "$static_libs/pkgconfig"
    ln -sf "$(readlink -f "$libz")" "$static_libs/libz.a"
    sed 's/^Libs: -L${libdir} /Libs: /' "$(pkg-config --variable=pcfiledir libsystemd)/libsystemd.pc" \
        >"$static_libs/pkgconfig/libsystemd.pc"
    export PKG_CONFIG_PATH="$static_libs/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    build=(swift build -c release --static-swift-stdlib --build-path "$package_build_path" -Xlinker -L"$static_libs")
    if [ "${1:-}" != --skip-build ]; then
        echo "package: ${build[*]}" >&2
        (cd "$package_root" && "${build[@]}") >&2
    fi
    package_bin=$(cd "$package_root" && "${build[@]}" --show-bin-path)
}

# package_check_libraries BINARY [EXTRA_REGEX]
# Direct dependencies (DT_NEEDED) must be glibc's libc/libm/loader, libstdc++, libgcc_s and
# libsystemd (plus EXTRA_REGEX, e.g. DPDK's libraries for infra-p4-dpdk); every library ldd
# resolves must be one of those or a dependency of libsystemd itself (the OS provides both).
package_check_libraries() {
    local binary=$1 extra=${2:-^$} allowed needed lib systemd_deps resolved
    allowed='^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libsystemd\.so\.0|ld-linux-[a-z0-9_-]+\.so\.[0-9]+|linux-vdso\.so\.1)$'
    needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    for lib in $needed; do
        if ! [[ $lib =~ $allowed ]] && ! [[ $lib =~ $extra ]]; then
            echo "package: $(basename "$binary") links $lib; allowed: libc, libm, libstdc++, libgcc_s, libsystemd" >&2
            return 1
        fi
    done
    systemd_deps=$(ldd "$(ldconfig -p | sed -n 's/.*libsystemd\.so\.0 .*=> //p' | head -1)" | awk '{ print $1 }')
    resolved=$(ldd "$binary" | awk '{ print $1 }' | sed 's|.*/||')
    for lib in $resolved; do
        if ! [[ $lib =~ $allowed ]] && ! [[ $lib =~ $extra ]] && ! grep -qxF "$lib" <<<"$systemd_deps"; then
            echo "package: $(basename "$binary") loads $lib (ldd); allowed: libc, libm, libstdc++, libgcc_s, libsystemd and its own dependencies" >&2
            return 1
        fi
    done
    if [[ $(ldd "$binary") == *"not found"* ]]; then
        echo "package: $(basename "$binary"): a library is not found (ldd)" >&2
        return 1
    fi
}

# package_start SIDE: a fresh bundle directory; sets bundle_name and bundle_dir.
package_start() {
    local side=$1
    bundle_name="infra-$side-$(package_version)-$(uname -m)"
    bundle_dir="$package_out/$bundle_name"
    rm -rf "$bundle_dir" "$package_out/$bundle_name.tar.gz"
    mkdir -p "$bundle_dir/files" "$bundle_dir/defaults"
}

# package_put SOURCE DESTINATION MODE: one file of the installed tree.
package_put() {
    install -D -m "$3" "$1" "$bundle_dir/files$2"
}

# package_binary PRODUCT DESTINATION [EXTRA_REGEX]: a checked release binary.
package_binary() {
    local product=$1 destination=$2 extra=${3:-}
    [ -x "$package_bin/$product" ] || { echo "package: $product was not built ($package_bin/$product)" >&2; return 1; }
    package_check_libraries "$package_bin/$product" "$extra"
    package_put "$package_bin/$product" "$destination" 0755
    strip --strip-all "$bundle_dir/files$destination"      # symbols are not needed to run; saves a quarter
}

# package_units UNIT...: unit files, and the sysusers/tmpfiles snippets when asked.
package_units() {
    local unit
    for unit in "$@"; do
        case $unit in
            *.service) package_put "$package_root/systemd/$unit" "/usr/lib/systemd/system/$unit" 0644 ;;
            sysusers) package_put "$package_root/systemd/sysusers.d/infra.conf" /usr/lib/sysusers.d/infra.conf 0644 ;;
            tmpfiles) package_put "$package_root/systemd/tmpfiles.d/infra.conf" /usr/lib/tmpfiles.d/infra.conf 0644 ;;
        esac
    done
}

# package_default_config SOURCE /etc/infra/NAME: created at install when missing; the shipped
# default also goes to /usr/share/infra/defaults for comparison on upgrades.
package_default_config() {
    install -D -m 0644 "$1" "$bundle_dir/defaults$2"
    package_put "$1" "/usr/share/infra/defaults/$(basename "$2")" 0644
}

# package_docs: the operator's guides that exist in this checkout.
package_docs() {
    local doc
    package_put "$package_root/README.md" /usr/share/doc/infra/README.md 0644
    for doc in configuration.md pki.md install-split-mode.md install-host-mode.md pki-operations.md \
        troubleshooting.md upgrade-rollback.md; do
        [ -f "$package_root/docs/$doc" ] && package_put "$package_root/docs/$doc" "/usr/share/doc/infra/$doc" 0644
    done
    return 0
}

# package_finish KEY=VALUE...: bundle.conf, install.sh, SHA256SUMS and the tarball.
package_finish() {
    local line
    {
        echo "# written by scripts/package-* ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
        echo "VERSION=\"$(package_version)\""
        echo "ARCH=\"$(uname -m)\""
        for line in "$@"; do echo "${line%%=*}=\"${line#*=}\""; done
    } >"$bundle_dir/bundle.conf"
    install -m 0755 "$package_root/scripts/lib/bundle-install.sh" "$bundle_dir/install.sh"
    (cd "$bundle_dir" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum >SHA256SUMS)
    tar -C "$package_out" --owner=0 --group=0 --numeric-owner -czf "$package_out/$bundle_name.tar.gz" "$bundle_name"
    echo "$package_out/$bundle_name.tar.gz"
}
