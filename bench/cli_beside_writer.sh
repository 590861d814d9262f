#!/usr/bin/env bash
# Writer throughput (durastore-bench commit --writers 64, 10 s) alone and with the
# durastore command reading the live store (tail --follow throughout; stat, queues,
# instances each second, one compacted backup 4 s in). Usage, from the source root:
# bench/cli_beside_writer.sh ROUNDS (BUILD: the build directory, default build; TAIL_JSON=1:
# the follower prints JSON lines instead of text). Figures: docs/operations.md.
set -u
summary=$(mktemp)
B=${BUILD:-build}/bench/durastore-bench
D=${BUILD:-build}/orchestration-layer/cli/durastore
for round in $(seq "$1"); do
  for mode in alone readers; do
    parent=$(mktemp -d "${TMPDIR:-/tmp}/cli-beside-writer-XXXXXX")
    $B commit --writers 64 --duration 10 --path "$parent" --json > "$parent/out.json" 2>&1 &
    bench=$!
    if [ "$mode" = readers ]; then
      store=""
      for _ in $(seq 100); do store=$(ls -d "$parent"/*/ 2>/dev/null | head -1); [ -n "$store" ] && [ -e "$store/data.mdb" ] && break; sleep 0.05; done
      sleep 0.5
      $D tail "$store" --follow --from 1 ${TAIL_JSON:+--json} > "$parent/tail.jsonl" 2>"$parent/tail.err" &
      tail_pid=$!
      ok=0; failed=0; second=0; backup="not taken"
      while kill -0 $bench 2>/dev/null; do
        second=$((second+1))
        if [ $second = 4 ]; then
          start=$(date +%s.%N)
          if $D backup "$store" "$parent/backup" --compact > /dev/null 2>>"$parent/reads.err"; then
            backup="$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')") s"
          else
            backup=failed
          fi
        fi
        for c in stat queues instances; do
          if $D $c "$store" > /dev/null 2>>"$parent/reads.err"; then ok=$((ok+1)); else failed=$((failed+1)); fi
        done
        sleep 1
      done
      kill -INT $tail_pid; wait $tail_pid
      echo "round $round readers: reads ok=$ok failed=$failed, backup $backup, tail followed $(wc -l < "$parent/tail.jsonl") events"
      [ -d "$parent/backup" ] && echo "round $round readers: $($D verify "$parent/backup")"
    fi
    wait $bench
    python3 -c "
import json,sys
for line in open('$parent/out.json'):
    line=line.strip()
    if line.startswith('{'):
        d=json.loads(line)
        print('round $round $mode: commits/s', round(d['ops_per_sec']), 'p99_us', d.get('p99_us'),
              'fdatasync_us', d.get('fdatasync_us'))
        open('$summary', 'a').write('$round $mode %f\\n' % d['ops_per_sec'])
"
    rm -rf "$parent"
  done
done
# The figure: per round, throughput with the readers over alone; median and range.
python3 -c "
import collections, statistics
r = collections.defaultdict(dict)
for line in open('$summary'):
    n, mode, v = line.split(); r[n][mode] = float(v)
x = [v['readers'] / v['alone'] for v in r.values() if len(v) == 2]
print('with readers / alone: median %.3f, range %.3f-%.3f over %d rounds' % (statistics.median(x), min(x), max(x), len(x)))
"
rm -f "$summary"
