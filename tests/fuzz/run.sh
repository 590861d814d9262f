#!/bin/sh
# Runs every libFuzzer target for a bounded time and prints its executions.
#
#   tests/fuzz/run.sh [BUILD_DIR [TARGET...]]      (BUILD_DIR defaults to build-fuzz)
#   DURASTORE_FUZZ_SECONDS=3600 tests/fuzz/run.sh  (the long run; default 30 s per target)
#   DURASTORE_FUZZ_SEED=N                          (fixed libFuzzer seed; default random)
#
# BUILD_DIR must be configured as in tests/fuzz/meson.build (clang, -Dfuzz=true,
# -Db_sanitize=address,undefined). Each target starts from its seed corpus plus what earlier
# runs found (kept in BUILD_DIR/fuzz-corpus/<target>, so long runs resume). A crash leaves
# its input in BUILD_DIR/fuzz-artifacts/<target>/; reproduce with
#   BUILD_DIR/tests/fuzz/<target> BUILD_DIR/fuzz-artifacts/<target>/crash-...
# Exit status: 0 when no target crashed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-fuzz}
[ $# -gt 0 ] && shift
seconds=${DURASTORE_FUZZ_SECONDS:-30}
targets=${*:-"orchestration_records_fuzzer eventlog_records_fuzzer queue_records_fuzzer batch_fuzzer c_api_fuzzer lease_token_fuzzer"}

if [ ! -d "$build/tests/fuzz" ]; then
  echo "run.sh: $build/tests/fuzz missing; configure it as described in tests/fuzz/meson.build" >&2
  exit 2
fi
ninja -C "$build" $(for t in $targets; do printf 'tests/fuzz/%s ' "$t"; done) >/dev/null || exit 2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp}
failed=0
printf '%-30s %8s %14s %10s  %s\n' target seconds executions exec/s result
for t in $targets; do
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t/"
  log="$build/fuzz-artifacts/$t.log"
  mkdir -p "$corpus" "$artifacts"
  "$build/tests/fuzz/$t" "$corpus" "$here/corpus/$t" ${DURASTORE_FUZZ_SEED:+-seed=$DURASTORE_FUZZ_SEED} \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 -timeout=60 \
    -artifact_prefix="$artifacts" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="CRASH (rc $rc): see $log"
    failed=1
  fi
  printf '%-30s %8s %14s %10s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$result"
  if [ $rc -ne 0 ]; then
    # Show what failed where it is seen (CI keeps only the output): the sanitizer or check
    # report, the input in hex and where it was saved.
    grep -E 'runtime error|ERROR: |durastore fuzz check failed|SUMMARY|^0x|Test unit written' \
      "$log" | head -n 20 | sed 's/^/    /'
  fi
done
exit $failed
