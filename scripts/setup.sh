#!/usr/bin/env bash
# Installs what meter needs to build and test, from Debian 12 packages, when
# any of it is missing. Safe to run again.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git ca-certificates tzdata
  libcli11-dev libsqlitecpp-dev libsqlite3-dev sqlite3 libfmt-dev nlohmann-json3-dev doctest-dev
  libsimdjson-dev libcurl4-openssl-dev libssl-dev
  python3 python3-pytest
  postgresql libpq-dev libpq5 python3-psycopg2  # the PostgreSQL backend and its tests (SPEC section 12)
  chromium
  zsh fish  # tests/e2e/test_completion.py loads meter's zsh and fish completion scripts
  libcpp-httplib-dev  # bench/webhooks.cc's loopback receiver
  clang libclang-rt-14-dev  # scripts/fuzz.sh: clang 14 and its libFuzzer/sanitizer runtimes
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
