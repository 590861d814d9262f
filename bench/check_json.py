#!/usr/bin/env python3
"""Runs durastore-bench and checks its output.

check_json.py BENCH ARGS...                       last stdout line must be the JSON object
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
}
DURASTORE_ONLY = {"flushes_per_sec": (int, float), "avg_group_size": (int, float),
                  "io_uring": bool}
# turn and activity: the fetch half of each op, measured on its own.
ORCHESTRATION = {"fetch_p50_us": int, "fetch_p99_us": int, "empty_fetches": int}


def main(argv):
    expect_error = argv[1] == "--expect-usage-error"
    cmd = argv[2:] if expect_error else argv[1:]
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
    for name, kind in fields.items():
        if name not in result or not isinstance(result[name], kind):
            print(f"field {name!r} missing or not {kind}: {result}")
            return 1
    if result["ops"] <= 0 or result["ops_per_sec"] <= 0:
        print(f"no operations completed: {result}")
        return 1
    if not result["p50_us"] <= result["p99_us"] <= result["p999_us"] <= result["max_us"]:
        print(f"percentiles out of order: {result}")
        return 1
    if "fetch_p50_us" in result and not (
            result["fetch_p50_us"] <= result["fetch_p99_us"] <= result["max_us"]):
        print(f"fetch percentiles out of order: {result}")
        return 1
    print(proc.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
