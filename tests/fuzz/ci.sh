#!/bin/sh
# CI's fuzzing pass: builds the libFuzzer targets with clang (ASan + UBSan) in a build
# directory of their own and runs each for DURASTORE_FUZZ_SECONDS (default 20) seconds
# from seed DURASTORE_FUZZ_SEED (default 1).
# Usage: ci.sh <source-dir> <build-dir>
set -eu
src=$1
dir=$2
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=disabled >/dev/null
fi
# A fixed seed, so a CI failure is the same search a developer can rerun (long runs, via
# run.sh, pick random seeds and are where new findings should come from).
DURASTORE_FUZZ_SEED=${DURASTORE_FUZZ_SEED:-1} DURASTORE_FUZZ_SECONDS=${DURASTORE_FUZZ_SECONDS:-20} exec "$src/tests/fuzz/run.sh" "$dir"
