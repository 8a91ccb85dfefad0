#!/usr/bin/env bash
# Installs the Debian packages Chorus needs when they are missing. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(postgresql postgresql-contrib redis-server libhiredis-dev pkg-config python3-jsonschema)
[ "${1:-}" = "--bench" ] && packages+=(wrk)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v swift >/dev/null 2>&1; then
    echo "deps: the Swift toolchain (6.1 or newer) must be on PATH" >&2
    exit 1
fi
# The official OpenAI client library, which the tests use against the OpenAI-compatible endpoint.
if ! python3 -c 'import openai' >/dev/null 2>&1; then
    echo "deps: installing the openai Python package"
    python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
fi
install_openai() {
    python3 -c 'import openai' >/dev/null 2>&1 && return 0
    python3 -m pip install --quiet --disable-pip-version-check 'openai>=1.40' 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'openai>=1.40'
}
if [ ${#missing[@]} -eq 0 ]; then
    install_openai
    exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package may start system-wide services; Chorus runs its own private instances instead.
$sudo service redis-server stop >/dev/null 2>&1 || true
$sudo service postgresql stop >/dev/null 2>&1 || true
install_openai
