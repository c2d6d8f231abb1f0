#!/usr/bin/env bash
# Debian packages the tests need beyond Python: stunnel4 (the TLS terminator
# in front of RabbitMQ in tests/functional/test_tls.py) and shellcheck
# (tests/unit/test_shell_scripts.py). Installs only
# what is missing, only as root with apt-get (a fresh CI machine); otherwise it
# says what is missing and the tests that need it skip (or fail in CI).
set -euo pipefail
packages=(stunnel4 shellcheck)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "tools/ci-packages.sh: not installing ${missing[*]} (needs root and apt-get)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
