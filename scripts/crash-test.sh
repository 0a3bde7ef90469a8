#!/usr/bin/env bash
# Crash test (issue 8 item 3): for each of `meter ingest`, `meter aggregate`,
# `meter invoice generate`, `meter webhooks replay` and 8 processes of
# `meter quota reserve`, N rounds of kill -9 at a random moment, re-run to
# completion, and comparison with an uninterrupted run on a copy of the same
# starting state. The rounds are tests/e2e/test_crash.py (CI runs it with 2
# rounds per command). SQLite by default; METER_TEST_BACKENDS=sqlite,postgresql
# runs them on a throwaway PostgreSQL server too (tests/e2e/conftest.py starts
# one unless METER_TEST_PG_URL names one).
#
#   scripts/crash-test.sh [--rounds N] [--seed S] [--events N] [--tenants N]
#
# --rounds  rounds per command (default 20)
# --seed    replay a run: the seed is printed at the start of every run
# --events / --tenants  size of the data (default 100000 events, 1000 tenants)
# Uses $METER_BIN, else ${BUILD_DIR:-build}/meter (built by scripts/build.sh
# when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=20 seed="" events=100000 tenants=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "crash-test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "crash-test.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ -z "$seed" || "$seed" =~ ^[0-9]+$ ]] || { echo "crash-test.sh: --seed must be a non-negative integer" >&2; exit 2; }

bin="${METER_BIN:-${BUILD_DIR:-build}/meter}"
if [[ ! -x "$bin" ]]; then
  scripts/build.sh
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

python=/usr/bin/python3
[[ -x "$python" ]] || python=python3
start=$(date +%s)
METER_BIN="$bin" METER_SOURCE_DIR="$PWD" PYTHONDONTWRITEBYTECODE=1 \
METER_CRASH_ROUNDS="$rounds" METER_CRASH_SEED="$seed" METER_CRASH_EVENTS="$events" METER_CRASH_TENANTS="$tenants" \
  "$python" -m pytest -q -s -p no:cacheprovider tests/e2e/test_crash.py
echo "crash-test.sh: $rounds round(s) per command passed in $(( $(date +%s) - start )) s"
