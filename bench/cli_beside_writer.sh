#!/usr/bin/env bash
# Writer throughput (durastore-bench commit --writers 64, 10 s) alone and with the
# durastore command reading the live store (tail --follow throughout; stat, queues,
# instances each second, one compacted backup 4 s in). Usage, from the source root:
# bench/cli_beside_writer.sh ROUNDS (BUILD: the build directory, default build; TAIL_JSON=1:
# the follower prints JSON lines instead of text; MODES: the runs of each round, default
# "alone readers"; "tail", "polls" and "backup" run one of the readers' parts alone, and a
# "-nice0" suffix runs them at the caller's priority instead of the command's nice 10).
# Figures: docs/operations.md.
set -u
summary=$(mktemp)
B=${BUILD:-build}/bench/durastore-bench
D=${BUILD:-build}/orchestration-layer/cli/durastore
for round in $(seq "$1"); do
  for mode in ${MODES:-alone readers}; do
    parent=$(mktemp -d "${TMPDIR:-/tmp}/cli-beside-writer-XXXXXX")
    $B commit --writers 64 --duration 10 --path "$parent" --json > "$parent/out.json" 2>&1 &
    bench=$!
    if [ "$mode" != alone ]; then
      part=${mode%-nice0}; nice=""; [ "$part" != "$mode" ] && nice="--nice 0"
      want() { [ "$part" = readers ] || [ "$part" = "$1" ]; }
      store=""
      for _ in $(seq 100); do store=$(ls -d "$parent"/*/ 2>/dev/null | head -1); [ -n "$store" ] && [ -e "$store/data.mdb" ] && break; sleep 0.05; done
      sleep 0.5
      tail_pid=""
      echo 0 > "$parent/tail.count"
      # exec: $! is the follower itself, which the SIGINT below must reach.
      follow() { exec $D tail "$store" $nice --follow --from 1 ${TAIL_JSON:+--json} 2>"$parent/tail.err"; }
      if want tail; then
        if [ -n "${TAIL_FILE:-}" ]; then
          follow > "$parent/tail.jsonl" &
        else
          follow > >(wc -l > "$parent/tail.count") &
        fi
        tail_pid=$!
      fi
      ok=0; failed=0; second=0; backup="not taken"
      while kill -0 $bench 2>/dev/null; do
        second=$((second+1))
        if [ $second = 4 ] && want backup; then
          start=$(date +%s.%N)
          if $D backup "$store" "$parent/backup" --compact $nice > /dev/null 2>>"$parent/reads.err"; then
            backup="$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')") s"
          else
            backup=failed
          fi
        fi
        want polls && for c in stat queues instances; do
          if $D $c "$store" $nice > /dev/null 2>>"$parent/reads.err"; then ok=$((ok+1)); else failed=$((failed+1)); fi
        done
        sleep 1
      done
      if [ -n "$tail_pid" ]; then
        kill -INT $tail_pid; wait $tail_pid
        if [ -n "${TAIL_FILE:-}" ]; then wc -l < "$parent/tail.jsonl" > "$parent/tail.count"; else sleep 0.2; fi
      fi
      echo "round $round $mode: reads ok=$ok failed=$failed, backup $backup, tail followed $(cat "$parent/tail.count") events"
      [ -d "$parent/backup" ] && echo "round $round $mode: $($D verify "$parent/backup")"
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
for mode in sorted({m for v in r.values() for m in v} - {'alone'}):
    x = [v[mode] / v['alone'] for v in r.values() if mode in v and 'alone' in v]
    print('with %s / alone: median %.3f, range %.3f-%.3f over %d rounds' % (mode, statistics.median(x), min(x), max(x), len(x)))
"
rm -f "$summary"
