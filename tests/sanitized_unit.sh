#!/usr/bin/env bash
# Builds the tests with sanitizers in a build directory of their own and runs them. Any
# finding fails the run (UBSan halts on the first report; ASan includes LeakSanitizer;
# TSan exits non-zero on a report).
#
# Usage: sanitized_unit.sh <source-dir> <build-dir> [address,undefined | thread]
#   DURASTORE_SANITIZE_SUITES="unit crash"  the suites to run (default: unit)
# CI runs the unit suite with ASan + UBSan (tests/meson.build, test 'unit-asan-ubsan').
# Both sanitizers over every suite that exists in a sanitized build (the power-loss suite
# does not: its LD_PRELOAD interposer cannot come before a sanitizer runtime):
#   DURASTORE_SANITIZE_SUITES="unit crash" tests/sanitized_unit.sh . build-asan
#   DURASTORE_SANITIZE_SUITES="unit crash" tests/sanitized_unit.sh . build-tsan thread
set -euo pipefail
src=$1
dir=$2
sanitizers=${3:-address,undefined}
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$src" -Db_sanitize="$sanitizers" -Dbuildtype=debug \
    -Dbenchmarks=disabled >/dev/null
fi
ninja -C "$dir" >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
suites=()
for s in ${DURASTORE_SANITIZE_SUITES:-unit}; do suites+=(--suite "$s"); done
meson test -C "$dir" "${suites[@]}" --print-errorlogs --timeout-multiplier 4
