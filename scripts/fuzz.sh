#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and runs each in turn.
#
#   scripts/fuzz.sh [--seconds N] [--smoke] [--build-only] [target...]
#
#   --seconds N   run each target N seconds (default 60)
#   --smoke       CI smoke run: all targets within 60 s in total (build not
#                 counted), fixed seed, seed corpus only
#   --build-only  configure and build, run nothing
#   target...     fuzz_event_ndjson fuzz_event_cloudevents fuzz_event_lago
#                 fuzz_event_auto fuzz_event_csv fuzz_catalog fuzz_decimal
#                 (default: all)
#
# Build directory: $BUILD_DIR (default build-fuzz in the repository), made with
# CMAKE_CXX_COMPILER=${FUZZ_CXX:-clang++} and -DMETER_FUZZ=ON. Targets run one
# at a time, as one process each, under nice (the machine is shared). Seeds
# come from tests/fuzz/corpus/<target> (never written); new inputs go to
# $BUILD_DIR/fuzz-corpus/<target> (kept between runs, except with --smoke);
# crash, timeout and leak inputs to $BUILD_DIR/fuzz-artifacts/<target>/.
# Prints executions and crashes per target; exits 1 when any target crashed
# or broke an invariant, 2 on bad usage, 3 when the build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

all_targets=(fuzz_event_ndjson fuzz_event_cloudevents fuzz_event_lago fuzz_event_auto fuzz_event_csv
             fuzz_catalog fuzz_decimal)
seconds=60
smoke=0
build_only=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
               seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    --smoke) smoke=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: --seconds must be a whole number of seconds >= 1, got '$seconds'" >&2
  exit 2
fi
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " == *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (${all_targets[*]})" >&2
    exit 2
  fi
done
if [ "$smoke" = 1 ]; then
  # 60 s in all: per-target time plus about a second of start-up each.
  seconds=$(( 52 / ${#targets[@]} - 1 ))
  [ "$seconds" -ge 1 ] || seconds=1
fi

build_dir=${BUILD_DIR:-build-fuzz}
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
cxx=${FUZZ_CXX:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found: install clang and libclang-rt-14-dev (scripts/setup.sh does)" >&2
  exit 3
fi

elapsed() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }
build_start=$(date +%s%N)
mkdir -p "$build_dir"
if ! cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
       -DMETER_FUZZ=ON >"$build_dir/fuzz-configure.log" 2>&1; then
  cat "$build_dir/fuzz-configure.log" >&2
  echo "fuzz.sh: configuring $build_dir failed" >&2
  exit 3
fi
if ! nice cmake --build "$build_dir" --target "${targets[@]}" -j"${JOBS:-2}" >"$build_dir/fuzz-build.log" 2>&1; then
  tail -n 40 "$build_dir/fuzz-build.log" >&2
  echo "fuzz.sh: build failed (full log: $build_dir/fuzz-build.log)" >&2
  exit 3
fi
echo "fuzz: built ${#targets[@]} target(s) in $(elapsed "$build_start") s ($build_dir)" >&2
[ "$build_only" = 0 ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs="$build_dir/fuzz-logs"
mkdir -p "$logs"
if [ "$smoke" = 1 ]; then
  scratch_root=$(mktemp -d "$build_dir/fuzz-smoke-corpus.XXXXXX")
  trap 'rm -rf "$scratch_root"' EXIT
else
  scratch_root="$build_dir/fuzz-corpus"
fi

run_start=$(date +%s%N)
failed=0
printf '%-24s %8s %12s %10s %8s %8s  %s\n' target seconds executions exec/s corpus crashes result
for t in "${targets[@]}"; do
  scratch="$scratch_root/$t"
  artifacts="$build_dir/fuzz-artifacts/$t"
  mkdir -p "$scratch" "$artifacts"
  log="$logs/$t.log"
  marker="$logs/$t.start"
  touch "$marker"  # artifacts newer than this are this run's
  extra=()
  [ "$smoke" = 0 ] || extra+=(-seed=1)
  case "$t" in fuzz_event_csv) dict=event_csv ;; fuzz_event_*) dict=event_json ;; *) dict=${t#fuzz_} ;; esac
  dict="$repo/tests/fuzz/dict/$dict.dict"
  [ -f "$dict" ] && extra+=(-dict="$dict")
  started=$(date +%s%N)
  set +e
  nice -n 10 "$build_dir/tests/fuzz/$t" "$scratch" "$repo/tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${extra[@]}" >"$log" 2>&1
  rc=$?
  set -e
  ran=$(elapsed "$started")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  crashes=$(find "$artifacts" -type f -newer "$marker" | wc -l)
  corpus=$(find "$scratch" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    result="FAILED (exit $rc; log $log)"
    [ "$crashes" -gt 0 ] || crashes=1
    failed=1
  fi
  printf '%-24s %8s %12s %10s %8s %8s  %s\n' "$t" "$ran" "${execs:-?}" "${rate:-?}" "$corpus" "$crashes" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant failed|.*runtime error)' "$log" | head -n 5 >&2 || true
    find "$artifacts" -type f -newer "$marker" | head -n 3 | sed 's/^/  input: /' >&2
  fi
done
echo "fuzz: ran ${#targets[@]} target(s) in $(elapsed "$run_start") s; $([ "$failed" = 0 ] && echo "no crashes" ||
  echo "CRASHES (inputs under $build_dir/fuzz-artifacts)")" >&2
exit "$failed"
