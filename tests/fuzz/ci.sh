#!/bin/sh
# CI's fuzzing pass: builds the libFuzzer targets with clang (ASan + UBSan) in a build
# directory of their own and runs each for DURASTORE_FUZZ_SECONDS (default 20) seconds.
# Usage: ci.sh <source-dir> <build-dir>
set -eu
src=$1
dir=$2
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbenchmarks=false >/dev/null
fi
DURASTORE_FUZZ_SECONDS=${DURASTORE_FUZZ_SECONDS:-20} exec "$src/tests/fuzz/run.sh" "$dir"
