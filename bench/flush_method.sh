#!/usr/bin/env bash
# The commit log's two flush methods side by side: durastore-bench commit at 1, 8, 64
# and 256 writers (kSync, 256 B, 3 s), io_uring and fdatasync interleaved, ROUNDS
# repetitions; prints each run and the per-repetition ratio fdatasync / io_uring (median
# and range). Usage, from the source root: bench/flush_method.sh ROUNDS (BUILD: the build
# directory, default build). Figures: docs/performance.md, "Flush method".
set -eu
B=${BUILD:-build}/bench/durastore-bench
results=$(mktemp)
for rep in $(seq "$1"); do
  for w in 1 8 64 256; do
    for f in io_uring fdatasync; do
      dir=$(mktemp -d "${TMPDIR:-/tmp}/flush-method-XXXXXX")
      $B commit --writers "$w" --duration 3 --path "$dir" --flush "$f" --json 2>/dev/null |
        python3 -c "
import json, sys
d = [json.loads(l) for l in sys.stdin if l.startswith('{')][0]
print('$rep $w $f', round(d['ops_per_sec']), d.get('p50_us'), d.get('fdatasync_us'))" |
        tee -a "$results"
      rm -rf "$dir"
    done
  done
done
python3 - "$results" <<'PY'
import collections, statistics, sys
r = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    rep, w, f, ops, _, _ = line.split()
    r[int(w)].setdefault(rep, {})[f] = float(ops)
for w in sorted(r):
    x = [v['fdatasync'] / v['io_uring'] for v in r[w].values() if len(v) == 2]
    print(f'{w} writers: fdatasync / io_uring median {statistics.median(x):.2f} '
          f'[{min(x):.2f}-{max(x):.2f}] over {len(x)} repetitions')
PY
rm -f "$results"
