#!/usr/bin/env bash
# The run behind docs/performance.md: every workload of durastore-bench against its
# baselines, engines interleaved and repeated, with the fdatasync probe of the same run.
# Usage: bench/performance_run.sh [build-dir] [out-dir] [seconds-per-point]
# About 12 minutes with the defaults (5 s per point).
set -euo pipefail
build=${1:-build}
out=${2:-perf-results}
secs=${3:-5}
tool="$build/bench/durastore-bench"
mkdir -p "$out"
run() {  # name, then the tool's arguments
  local name=$1
  shift
  echo "== $name: durastore-bench $*" | tee "$out/$name.txt"
  "$tool" "$@" 2>&1 | tee -a "$out/$name.txt"
}
run commit commit --engine all --repeat 3 --sweep writers=1,8,64,256 --csv "$out/commit.csv" \
  --duration "$secs" --payload 256
for r in 1 2 3; do
  run "queue-1-rep$r" queue --engine both --producers 16 --consumers 16 --duration "$secs"
  run "queue-32-rep$r" queue --engine both --producers 16 --consumers 16 --batch 32 \
    --duration "$secs"
  run "turn-rep$r" turn --engine both --writers 8 --duration "$secs"
  run "activity-rep$r" activity --engine both --writers 8 --duration "$secs"
done
"$(dirname "$0")/plot" "$out/commit.csv" "$out/commit.svg" || true
