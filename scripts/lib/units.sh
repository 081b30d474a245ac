# Shared by scripts/check-units and the bundle tests: a scratch root in which
# `systemd-analyze verify` and `security --offline` can judge our units without the
# binaries installed and without systemd as PID 1.

# units_scratch_root ROOT UNIT_DIR: copy the units to ROOT/etc/systemd/system, the
# distribution's targets to ROOT/usr/lib/systemd/system, and put a stub executable at every
# ExecStart path that ROOT does not already have.
units_scratch_root() {
    local scratch=$1 unit_dir=$2 unit exe
    mkdir -p "$scratch/etc/systemd/system" "$scratch/usr/lib/systemd/system"
    cp /lib/systemd/system/*.target "$scratch/usr/lib/systemd/system/"
    for unit in "$unit_dir"/*.service; do
        cp "$unit" "$scratch/etc/systemd/system/"
        exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$unit" | head -1)
        if [ -n "$exe" ] && [ ! -e "$scratch$exe" ]; then
            mkdir -p "$scratch$(dirname "$exe")"
            printf '#!/bin/sh\nexit 0\n' >"$scratch$exe"
            chmod 0755 "$scratch$exe"
        fi
    done
}

# units_verify ROOT NAME: `systemd-analyze verify`; fails (and shows it) on any output.
units_verify() {
    local scratch=$1 name=$2 output
    output=$(systemd-analyze verify --recursive-errors=no --root="$scratch" "/etc/systemd/system/$name" 2>&1) || {
        echo "check-units: systemd-analyze verify $name failed:" >&2
        printf '%s\n' "$output" >&2
        return 1
    }
    if [ -n "$output" ]; then
        echo "check-units: systemd-analyze verify $name printed:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# units_exposure ROOT NAME: the overall exposure figure of `systemd-analyze security --offline`.
units_exposure() {
    local scratch=$1 name=$2
    systemd-analyze security --offline=yes --root="$scratch" "/etc/systemd/system/$name" 2>/dev/null |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
