#!/bin/sh
# Compares two builds' micro-benchmarks on this machine: runs them interleaved, REPS times
# each (default 3), and prints per benchmark the median CPU time of each and the median
# and range of the per-repetition ratio new/base.
# Usage: bench/micro_compare.sh BASE_DURASTORE_MICRO NEW_DURASTORE_MICRO [FILTER]
set -eu
base=$1
new=$2
filter=${3:-'BM_(AppendNoSync|DequeueAckNoSync|MetadataPutNoSync|MetadataGet|ReadPartition)'}
reps=${REPS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for rep in $(seq "$reps"); do
  for which in base new; do
    if [ "$which" = base ]; then exe=$base; else exe=$new; fi
    "$exe" --benchmark_filter="$filter" --benchmark_min_time=0.5 --benchmark_format=csv \
      2>/dev/null | grep '^"BM' | sed "s/^/$which,$rep,/" >>"$out"
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
cpu = collections.defaultdict(lambda: collections.defaultdict(dict))
for line in open(sys.argv[1]):
    f = line.strip().split(',')
    cpu[f[2].strip('"')][f[1]][f[0]] = float(f[5])  # which,rep,name,iterations,real,cpu
for name, reps in cpu.items():
    ratios = [r['new'] / r['base'] for r in reps.values() if len(r) == 2]
    med = lambda w: statistics.median(r[w] for r in reps.values() if w in r)
    print(f"{name:34s} base {med('base'):11.0f} ns  new {med('new'):11.0f} ns  "
          f"new/base {statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")
PY
