# shellcheck shell=bash
# Python venvs for third-party test peers. Source this file, then:
#
#   venv=$(python_peer_venv interop Tests/interop/requirements.txt)
#   "$venv/bin/python" -m pytest -q Tests/interop
#
# Each peer gets its own venv, <repo>/.venv-<name> (ignored by git), because the peers pin
# protobuf and grpcio versions that cannot share one environment. A venv is reused while
# its requirements file is unchanged (a stamp records the file's hash); otherwise it is
# rebuilt. Only PyPI is contacted, and only when a venv has to be (re)built.
#
# Peers today: interop (Tests/interop/requirements.txt), p4runtime and finsy
# (Tests/interop/<name>/requirements.txt); scripts/setup --test makes all of them.
#
# PYTHON_PEERS_PYTHON picks the interpreter (default: python3 on PATH).
# PYTHON_PEERS_DIR puts the venvs elsewhere (default: the repository root).

python_peer_venv() {
    local name=$1 requirements=$2
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    [[ $requirements = /* ]] || requirements="$root/$requirements"
    if [[ ! -f $requirements ]]; then
        echo "python_peer_venv: $requirements not found" >&2
        return 1
    fi
    local venv="${PYTHON_PEERS_DIR:-$root}/.venv-$name"
    local stamp="$venv/.requirements.sha256"
    local want
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        echo "$venv"
        return 0
    fi
    local python=${PYTHON_PEERS_PYTHON:-python3}
    echo "python_peer_venv: creating $venv from ${requirements#"$root"/}" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2 || return 1
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 || return 1
    echo "$want" >"$stamp"
    echo "$venv"
}
