#!/usr/bin/env bash
# Checks the library's thread-safety annotations (engine/src/thread_annotations.h): every
# library source is compiled by clang with -Wthread-safety -Werror (syntax and analysis
# only, no code generation), with the include paths and defines of the meson build.
# Usage: thread_safety.sh <build-dir> [clang++]
set -euo pipefail
build=$1
clang=${2:-clang++}
command -v "$clang" >/dev/null || { echo "thread-safety: $clang not found"; exit 77; }
python3 - "$build" "$clang" <<'PY'
import json, os, shlex, subprocess, sys
build, clang = sys.argv[1], sys.argv[2]
entries = json.load(open(os.path.join(build, 'compile_commands.json')))
seen, failed = set(), 0
for e in entries:
    out = e.get('output', '')
    # libdurastore.so.<version>.p/: the shared library's objects (the static one reuses them)
    if not (out.startswith('libdurastore.so') and '.p/' in out) or e['file'] in seen:
        continue
    seen.add(e['file'])
    args = shlex.split(e['command'])[1:]
    keep, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ('-o', '-MF', '-MQ'):
            skip = True
            continue
        if a in ('-MD', '-c', '-fPIC') or a.startswith('-fdiagnostics-color') or a == '-Wno-restrict':
            continue
        keep.append(a)
    cmd = [clang, '-fsyntax-only', '-Wthread-safety', '-Werror=thread-safety'] + keep
    r = subprocess.run(cmd, cwd=e['directory'], capture_output=True, text=True)
    if r.returncode != 0:
        failed += 1
        sys.stdout.write(r.stderr)
print(f"thread-safety: {len(seen)} library sources checked by {clang} -Wthread-safety, "
      f"{failed} with errors")
sys.exit(1 if failed else 0)
PY
