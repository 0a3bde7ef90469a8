#!/usr/bin/env bash
# Writes apps/meter/startup.order: the code sections of the functions the
# short, start-up-bound commands run (`quota check`, `quota reserve`,
# `limit take`, `entitlement check`, `--version`), which the link of `meter`
# places side by side (CMakeLists.txt, gold's --section-ordering-file). A
# quota check then faults in a few 64 KB blocks of meter's code instead of
# ~50 scattered ones (SPEC 9: <= 5 ms, of which page faults are most).
#
#   bench/startup_order.sh [BUILD]      # BUILD/meter (default build-rel), GCC build
#
# Needs valgrind (callgrind lists every function a run executes) and sqlite3.
# Re-run it when the code of those commands changed much: a listed name that
# no longer exists is ignored by the link, a new function it misses is only
# placed elsewhere. Sorted names, so a re-run shows as a small diff.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-rel}
METER=$BUILD/meter
OUT=$ROOT/apps/meter/startup.order
command -v valgrind > /dev/null || { echo "startup_order: needs valgrind" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/meter-startup-order.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

db=$("$ROOT/bench/events_db.sh" "$METER" "$WORK" 10000)
now=(--db "$db" --now 2026-02-27T12:00:00Z)
runs=(
  "--version"
  "${now[*]} --json quota check --tenant globex --metric api_calls --amount 1"
  "${now[*]} quota check --tenant wayne --metric ai_requests --amount 1"
  "${now[*]} --json quota reserve --tenant globex --metric api_calls --amount 1 --id startup-order"
  "${now[*]} --json limit take --tenant globex"
  "${now[*]} --json entitlement check --tenant globex --feature sso"
)
i=0
for args in "${runs[@]}"; do
  # shellcheck disable=SC2086  # the arguments are words
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/cg.$i" "$METER" $args \
    > /dev/null 2>> "$WORK/valgrind.log" || true
  i=$((i + 1))
done

# Every function callgrind saw run in meter itself (not in a shared library),
# as the section GCC's -ffunction-sections gives it. C functions (SQLite,
# libcrypto) come from archives built without per-function sections: left out.
python3 - "$METER" "$WORK" "$OUT" <<'PY'
import glob, os, re, sys
meter, work, out = sys.argv[1], sys.argv[2], sys.argv[3]
names = set()
for path in glob.glob(os.path.join(work, "cg.*")):
    objs, fns, cur_obj = {}, {}, None
    for line in open(path, errors="replace"):
        m = re.match(r"(c?)(ob|fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if not m:
            continue
        called, kind, ident, name = m.groups()
        table = objs if kind == "ob" else fns
        if name:
            table[ident] = name
        if called:
            continue
        if kind == "ob":
            cur_obj = objs.get(ident)
        elif cur_obj and os.path.realpath(cur_obj) == os.path.realpath(meter):
            names.add(fns.get(ident, ""))
keep = {n for n in names if n.startswith("_Z") and not n.endswith(".cold")}
# GCC emits a complete-object constructor or destructor (C1, D1) as an alias
# of the base-object one (C2, D2) and names the section after the latter;
# callgrind may report either name.
keep |= {re.sub(r"([CD])1E", r"\g<1>2E", n) for n in keep}
# main and the static initialisers of each file live in .text.startup.*.
startup = sorted(n for n in names if n == "main" or n.startswith("_GLOBAL__sub_I_"))
keep = sorted(keep)
with open(out, "w") as f:
    for n in startup:
        f.write(f".text.startup.{n}\n")
    for n in keep:
        f.write(f".text.{n}\n")
keep += startup
print(f"startup_order: {len(keep)} functions -> {out}", file=sys.stderr)
PY
