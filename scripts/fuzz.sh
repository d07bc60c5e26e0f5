#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of fuzz/ with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer and runs each until FUZZ_RUNS executions (default 10^7, the goal)
# or FUZZ_MAX_SECONDS (default 5400) from its corpus: the committed seeds in
# fuzz/corpus/<target> plus what earlier runs found (build/fuzz/corpus). The slow parsers (csv,
# xlsx: a few thousand inputs a second) take most of the time; the whole run is hours, so it is
# not part of make test. Writes bench/results/fuzz.md: time, executions and crashes per target. A crash leaves its input in
# build/fuzz/crashes and fails the run; commit it under fuzz/corpus/<target> as a regression.
# Usage: scripts/fuzz.sh [--quick]   --quick (make test): a few seconds each, the seeds only.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
seconds=${FUZZ_MAX_SECONDS:-5400}
runs=${FUZZ_RUNS:-10000000}
if [ $quick -eq 1 ]; then
  seconds=${FUZZ_QUICK_SECONDS:-4}
  runs=-1  # no bound: the time alone
fi
scripts/deps.sh test
CXX=clang++ cmake -S fuzz -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz -j "$(nproc)" >/dev/null
mkdir -p build/fuzz/crashes bench/results
# The slowest first, so that with FUZZ_JOBS targets at once (default: one per core) the long ones
# overlap the short ones.
targets=(xlsx csv sms list_filters http_request json_body multipart addresses)
jobs=${FUZZ_JOBS:-$(nproc)}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Runs one target; leaves its report row in build/fuzz/<target>.row, fails when it crashed.
run_target() {
  local t=$1 corpora log started rc took executed crashes=0 reached=no
  # libFuzzer adds what it finds to the first directory: never the committed one.
  if [ $quick -eq 1 ]; then
    rm -rf "build/fuzz/quick/$t"
    mkdir -p "build/fuzz/quick/$t"
    corpora=("build/fuzz/quick/$t" "fuzz/corpus/$t")
  else
    mkdir -p "build/fuzz/corpus/$t"
    corpora=("build/fuzz/corpus/$t" "fuzz/corpus/$t")
  fi
  log="build/fuzz/$t.log"
  started=$(date +%s)
  set +e
  "build/fuzz/${t}_fuzz" -runs="$runs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$t-" "${corpora[@]}" >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - started ))
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    crashes=1
    echo "fuzz: $t failed (exit $rc); its input is in build/fuzz/crashes/, the log in $log" >&2
    grep -m 20 -E "ERROR|SUMMARY|runtime error|Abort|deadly" "$log" >&2 || true
  fi
  [ "${executed:-0}" -ge 10000000 ] && reached=yes
  echo "| $t | $took | ${executed:-0} | $reached | $crashes |" >"build/fuzz/$t.row"
  echo "fuzz: $t: ${executed:-0} executions in ${took} s, $crashes crashes"
  return $crashes
}

declare -A pid_of
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  rm -f "build/fuzz/$t.row"
  run_target "$t" &
  pid_of[$t]=$!
done
failed=()
for t in "${targets[@]}"; do wait "${pid_of[$t]}" || failed+=("$t"); done
report="| target | seconds | executions | goal 10^7 | crashes |\n| --- | --- | --- | --- | --- |\n"
for t in "${targets[@]}"; do report+="$(cat "build/fuzz/$t.row")\n"; done
if [ $quick -eq 0 ]; then
  printf "# make fuzz — %s (%s at once)\n\n%b" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$jobs" "$report" >bench/results/fuzz.md
  echo "fuzz: wrote bench/results/fuzz.md"
fi
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: FAILED: ${failed[*]}"; exit 1; }
