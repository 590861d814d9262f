#!/usr/bin/env bash
# Builds the Duroxide provider crate against a meson build's libdurastore.a and runs its
# tests: every test of Duroxide's provider-validation suite and the runtime tests.
# Usage: run_tests.sh CARGO SOURCE_ROOT BUILD_DIR  (meson passes these; see meson.build)
set -euo pipefail
cargo=$1
source_root=$(cd "$2" && pwd)
build_dir=$(cd "$3" && pwd)
export DURASTORE_BUILD_DIR=$build_dir
export CARGO_TARGET_DIR=$build_dir/cargo-target
cd "$source_root/orchestration-layer/duroxide"
# Offline: .cargo/config.toml at the repository root points cargo at Debian's crates and
# the vendored Duroxide in ../shared/vendor (see that folder's README).
"$cargo" --version
start=$(date +%s)
"$cargo" build --offline -j2 --tests
echo "cargo build: $(($(date +%s) - start)) s"
start=$(date +%s)
"$cargo" test --offline -j2
echo "cargo test: $(($(date +%s) - start)) s"
