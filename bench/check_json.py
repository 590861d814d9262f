#!/usr/bin/env python3
"""Runs durastore-bench and checks its output.

check_json.py [--expect KEY=JSON]... [--csv FILE ROWS] BENCH ARGS...
    the last stdout line must be the JSON object, with every documented field, each
    --expect'ed field equal to its JSON value, and FILE a sweep CSV with ROWS data rows
check_json.py --expect-usage-error BENCH ARGS...  must exit 2 with a message on stderr
"""
import json
import subprocess
import sys

REQUIRED = {
    "workload": str, "engine": str, "writers": int, "duration_s": (int, float),
    "durability": str, "payload_bytes": int, "ops": int, "ops_per_sec": (int, float),
    "p50_us": int, "p90_us": int, "p99_us": int, "p999_us": int, "max_us": int,
    "fdatasync_us": (int, float), "cpu_s": (int, float), "peak_rss_kb": int,
    "warmup_s": (int, float), "loop": str, "target_rate": (int, float), "missed_slots": int,
}
DURASTORE_ONLY = {"flushes_per_sec": (int, float), "avg_group_size": (int, float),
                  "io_uring": bool}
# turn and activity: the fetch half of each op, measured on its own.
ORCHESTRATION = {"fetch_p50_us": int, "fetch_p99_us": int, "empty_fetches": int}
COMMIT = {"appends_per_batch": int, "events_per_append": int, "enqueues_per_batch": int,
          "puts_per_batch": int}
QUEUE = {"producers": int, "consumers": int, "delay_ms": int, "max_depth": int,
         "consume_p50_us": int, "consume_p90_us": int, "consume_p99_us": int,
         "empty_dequeues": int}
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
    fields = dict(REQUIRED)
    if result.get("engine") == "durastore":
        fields.update(DURASTORE_ONLY)
    if result.get("workload") in ("turn", "activity"):
        fields.update(ORCHESTRATION)
    if result.get("workload") == "commit":
        fields.update(COMMIT)
    if result.get("workload") == "queue":
        fields.update(QUEUE)
    for name, kind in fields.items():
        if name not in result or not isinstance(result[name], kind):
            print(f"field {name!r} missing or not {kind}: {result}")
            return 1
    if result["ops"] <= 0 or result["ops_per_sec"] <= 0:
        print(f"no operations completed: {result}")
        return 1
    for key, value in expected.items():
        if result.get(key) != value:
            print(f"field {key!r}: want {value!r}: {result}")
            return 1
    if not (result["p50_us"] <= result["p90_us"] <= result["p99_us"] <= result["p999_us"]
            <= result["max_us"]):
        print(f"percentiles out of order: {result}")
        return 1
    if "fetch_p50_us" in result and not (
            result["fetch_p50_us"] <= result["fetch_p99_us"] <= result["max_us"]):
        print(f"fetch percentiles out of order: {result}")
        return 1
    if "consume_p50_us" in result and not (
            result["consume_p50_us"] <= result["consume_p90_us"] <= result["consume_p99_us"]):
        print(f"consume percentiles out of order: {result}")
        return 1
    if csv is not None:
        error = check_csv(*csv)
        if error:
            print(error)
            return 1
    print(proc.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
