#!/usr/bin/env bash
# CI's sanitizer pass: builds the unit tests with AddressSanitizer + UndefinedBehavior-
# Sanitizer in a build directory of their own and runs them. Any finding fails the run
# (UBSan halts on the first report; ASan includes LeakSanitizer).
# Usage: sanitized_unit.sh <source-dir> <build-dir>
set -euo pipefail
src=$1
dir=$2
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$src" -Db_sanitize=address,undefined -Dbuildtype=debug \
    -Dbenchmarks=false >/dev/null
fi
ninja -C "$dir" >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
meson test -C "$dir" --suite unit --print-errorlogs
