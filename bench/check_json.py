#!/usr/bin/env python3
"""Runs durastore-bench and checks its output.

check_json.py [--expect KEY=JSON]... [--csv FILE ROWS] BENCH ARGS...
    the last stdout line must be the JSON object, with every documented field, each
    --expect'ed field equal to its JSON value, and FILE a sweep CSV with ROWS data rows;
    after a comparison (--engine both|all, --repeat N) the last line is its summary
    object and every earlier JSON line a run's
check_json.py --expect-usage-error BENCH ARGS...  must exit 2 with a message on stderr
"""
import json
import subprocess
import sys

REQUIRED = {
    "workload": str, "engine": str, "writers": int, "duration_s": (int, float),
    "durability": str, "payload_bytes": int, "payload_sizes": str, "ops": int, "ops_per_sec": (int, float),
    "p50_us": int, "p90_us": int, "p99_us": int, "p999_us": int, "max_us": int,
    "fdatasync_us": (int, float), "cpu_s": (int, float), "peak_rss_kb": int,
    "warmup_s": (int, float), "loop": str, "target_rate": (int, float), "missed_slots": int,
    "commits": int, "cpu_us_per_commit": (int, float),
    # null where the engine cannot count them (SQLite's flushes; no /proc/self/io)
    "flushes_per_commit": (int, float, type(None)),
    "device_bytes_per_commit": (int, float, type(None)),
    # null when --path is on no block device (tmpfs, overlay)
    "disk_bytes_per_commit": (int, float, type(None)),
}
DURASTORE_ONLY = {"flushes_per_sec": (int, float), "avg_group_size": (int, float),
                  "io_uring": bool, "log_flushes": int, "checkpoints": int,
                  "log_bytes_per_commit": (int, float), "flushes_per_commit": (int, float)}
ROCKSDB_ONLY = {"flushes_per_commit": (int, float)}
SPREAD = ("median", "min", "max")
# turn and activity: the fetch half of each op, measured on its own.
ORCHESTRATION = {"fetch_p50_us": int, "fetch_p99_us": int, "empty_fetches": int}
COMMIT = {"appends_per_batch": int, "events_per_append": int, "enqueues_per_batch": int,
          "puts_per_batch": int}
QUEUE = {"producers": int, "consumers": int, "delay_ms": int, "max_depth": int, "batch": int,
         "consume_p50_us": int, "consume_p90_us": int, "consume_p99_us": int,
         "empty_dequeues": int}
MIXED = {"mix": dict, "seed": int, "producers": int, "consumers": int, "max_depth": int,
         "consume_p50_us": int, "consume_p99_us": int}
MIX_KINDS = ("commit", "queue", "turn", "activity")
MIX_KIND = {"weight": (int, float), "ops": int, "ops_per_sec": (int, float), "p50_us": int,
            "p99_us": int}
RSS = {"rss_every_s": (int, float), "rss_samples_kb": list, "rss_anon_samples_kb": list}
CSV_HEADER = "engine,workload,writers,ops_per_sec,p50_us,p90_us,p99_us,p999_us,max_us"


def check_csv(path, rows):
    with open(path) as f:
        lines = f.read().strip().splitlines()
    if lines[0] != CSV_HEADER or len(lines) != rows + 1:
        return f"csv {path}: want header and {rows} rows, got {lines}"
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) != 9 or float(cells[3]) <= 0:
            return f"csv {path}: bad row {line!r}"
        p50, p90, p99, p999, top = (int(x) for x in cells[4:])
        if not p50 <= p90 <= p99 <= p999 <= top:
            return f"csv {path}: percentiles out of order in {line!r}"
    return None


def check_mix(result):
    """The per-kind figures of a mixed run add up to the run's."""
    mix = result["mix"]
    if sorted(mix) != sorted(MIX_KINDS):
        return f"mix: want the kinds {MIX_KINDS}, got {sorted(mix)}"
    for kind, figures in mix.items():
        for name, type_ in MIX_KIND.items():
            if not isinstance(figures.get(name), type_):
                return f"mix.{kind}.{name} missing or not {type_}: {figures}"
        if figures["p50_us"] > figures["p99_us"] or figures["p99_us"] > result["max_us"]:
            return f"mix.{kind}: percentiles out of order: {figures}"
        if figures["weight"] == 0 and figures["ops"] != 0:
            return f"mix.{kind}: ops of a kind weighing 0: {figures}"
    if abs(sum(f["weight"] for f in mix.values()) - 1) > 1e-9:
        return f"mix: weights do not sum to 1: {mix}"
    if sum(f["ops"] for f in mix.values()) != result["ops"]:
        return f"mix: kinds' ops do not sum to ops {result['ops']}: {mix}"
    return None


def check_rss(result):
    """At least one sample; each a positive size of which the anonymous part is a share."""
    samples, anon = result["rss_samples_kb"], result["rss_anon_samples_kb"]
    if not samples or len(samples) != len(anon):
        return f"rss samples empty or of unequal lengths: {samples} {anon}"
    expected = int(result["duration_s"] / result["rss_every_s"]) + 1
    if abs(len(samples) - expected) > 1:
        return f"want about {expected} rss samples, got {len(samples)}"
    for kb, anon_kb in zip(samples, anon):
        if not isinstance(kb, int) or not isinstance(anon_kb, int) or not 0 < anon_kb <= kb:
            return f"bad rss sample {kb} (anon {anon_kb})"
    return None


def main(argv):
    expect_error = argv[1] == "--expect-usage-error"
    cmd = argv[2:] if expect_error else argv[1:]
    expected, csv = {}, None
    while cmd and cmd[0] in ("--expect", "--csv"):
        if cmd[0] == "--expect":
            key, value = cmd[1].split("=", 1)
            expected[key] = json.loads(value)
            cmd = cmd[2:]
        else:
            csv = (cmd[1], int(cmd[2]))
            cmd = cmd[3:]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if expect_error:
        if proc.returncode != 2 or not proc.stderr.strip():
            print(f"expected exit 2 with a message, got {proc.returncode}: {proc.stderr!r}")
            return 1
        print("rejected as expected:", proc.stderr.strip().splitlines()[-1])
        return 0
    if proc.returncode != 0:
        print(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return 1
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    if result.get("summary") == "comparison":
        error = check_comparison(result, [json.loads(l) for l in lines[:-1] if l.startswith("{")],
                                 cmd)
    else:
        error = check_run(result, cmd, expected, proc.stdout)
    if error is None and csv is not None:
        error = check_csv(*csv)
    if error:
        print(error)
        return 1
    print(proc.stdout)
    return 0


def check_spread(where, spread):
    if not all(isinstance(spread.get(k), (int, float)) for k in SPREAD):
        return f"{where}: want numbers {SPREAD}: {spread}"
    if not spread["min"] <= spread["median"] <= spread["max"]:
        return f"{where}: min <= median <= max does not hold: {spread}"
    return None


def check_comparison(summary, runs, cmd):
    """The summary of a comparison: one point per writer count, every engine's medians,
    one ratio per repetition against each baseline, and the probes around the run."""
    repeat, engines = summary["repeat"], summary["engines"]
    if len(runs) != repeat * len(engines) * len(summary["points"]):
        return f"want {repeat} x {engines} runs per point, got {len(runs)} run lines"
    for run in runs:
        error = check_run(run, cmd, {})
        if error:
            return error
    for when in ("before", "after"):
        probe = summary[f"fdatasync_probe_{when}"]
        if not probe["p50_us"] > 0 or probe["p50_us"] > probe["max_us"]:
            return f"fdatasync probe {when}: {probe}"
    if not summary["points"]:
        return "comparison without points"
    for point in summary["points"]:
        if sorted(point["engines"]) != sorted(engines):
            return f"writers={point['writers']}: want engines {engines}: {point}"
        for engine, figures in point["engines"].items():
            for name in ("ops_per_sec", "p50_us"):
                error = check_spread(f"{engine}.{name}", figures[name])
                if error:
                    return error
        baselines = [e for e in engines if e != "durastore"]
        if sorted(point["ratios"]) != sorted("durastore_over_" + b for b in baselines):
            return f"writers={point['writers']}: want a ratio per baseline: {point['ratios']}"
        for name, ratio in point["ratios"].items():
            error = check_spread(name, ratio)
            if error:
                return error
            if len(ratio["per_repetition"]) != repeat or min(ratio["per_repetition"]) <= 0:
                return f"{name}: want {repeat} positive ratios: {ratio}"
    return None


def check_run(result, cmd, expected, stdout=""):
    """One run's JSON object: its fields, and the promises between them."""
    fields = dict(REQUIRED)
    if result.get("engine") == "durastore":
        fields.update(DURASTORE_ONLY)
    if result.get("engine") == "rocksdb":
        fields.update(ROCKSDB_ONLY)
    if result.get("workload") in ("turn", "activity"):
        fields.update(ORCHESTRATION)
    if result.get("workload") == "commit":
        fields.update(COMMIT)
    if result.get("workload") == "queue":
        fields.update(QUEUE)
    if result.get("workload") == "mixed":
        fields.update(MIXED)
    if "--rss-every" in cmd:
        fields.update(RSS)
    for name, kind in fields.items():
        if name not in result or not isinstance(result[name], kind):
            return f"field {name!r} missing or not {kind}: {result}"
    if result["ops"] <= 0 or result["ops_per_sec"] <= 0:
        return f"no operations completed: {result}"
    for key, value in expected.items():
        if result.get(key) != value:
            return f"field {key!r}: want {value!r}: {result}"
    if not (result["p50_us"] <= result["p90_us"] <= result["p99_us"] <= result["p999_us"]
            <= result["max_us"]):
        return f"percentiles out of order: {result}"
    if "fetch_p50_us" in result and not (
            result["fetch_p50_us"] <= result["fetch_p99_us"] <= result["max_us"]):
        return f"fetch percentiles out of order: {result}"
    if "consume_p50_us" in result and not (
            result["consume_p50_us"] <= result["consume_p90_us"] <= result["consume_p99_us"]):
        return f"consume percentiles out of order: {result}"
    for check, applies in ((check_mix, "mix" in result), (check_rss, "rss_every_s" in result)):
        error = check(result) if applies else None
        if error:
            return error
    if "--rss-every" in cmd and stdout.count("rss_kb t=") != len(result["rss_samples_kb"]):
        return f"want one 'rss_kb t=' line per sample:\n{stdout}"
    if result["commits"] < result["ops"] and result["workload"] == "commit":
        return f"commit: fewer commits than ops: {result}"
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
