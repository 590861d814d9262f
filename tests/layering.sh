#!/usr/bin/env bash
# Checks that every folder imports only downward: the engine includes no header of a
# component, the event log and the queues include neither each other's nor the
# orchestration layer's headers. Layers, lowest first:
#   engine  <  eventlog, queue (peers)  <  orchestration-layer  <  the durastore command
# The command (orchestration-layer/cli) is a client of the library: it may include the
# public headers (durastore/...) and its own, never a header of any folder's src/.
# Every quoted #include of a library source or header is resolved by name against the
# headers the folders own (their src/ and include/ trees); one owned by a folder that is
# not the includer's own or below it is a violation, printed as file:line.
# Usage: layering.sh <source-root>
set -euo pipefail
python3 - "${1:-.}" <<'PY'
import os, re, sys
root = sys.argv[1]
below = {
    'engine': {'engine'},
    'eventlog': {'engine', 'eventlog'},
    'queue': {'engine', 'queue'},
    'orchestration-layer': {'engine', 'eventlog', 'queue', 'orchestration-layer'},
}
owner = {}  # include spelling -> folder ("durastore/queue.h", "queue_codec.h")
internal = set()  # the spellings of src/ headers
for folder in below:
    for sub in ('src', 'include'):
        base = os.path.join(root, folder, sub)
        for d, _, files in os.walk(base):
            for f in files:
                if f.endswith('.h') or f.endswith('.fbs'):
                    rel = os.path.relpath(os.path.join(d, f), base)
                    name = rel[:-4] + '_generated.h' if f.endswith('.fbs') else rel
                    if sub == 'src':
                        name = os.path.basename(name)
                        internal.add(name)
                    owner[name] = folder
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
bad = checked = 0
for folder, allowed in below.items():
    for sub in ('src', 'include'):
        for d, _, files in os.walk(os.path.join(root, folder, sub)):
            for f in files:
                if not f.endswith(('.h', '.cc', '.c')):
                    continue
                path = os.path.join(d, f)
                checked += 1
                for n, line in enumerate(open(path, encoding='utf-8'), 1):
                    m = inc.match(line)
                    if m and owner.get(m.group(1), folder) not in allowed:
                        bad += 1
                        print(f'{os.path.relpath(path, root)}:{n}: {folder} includes '
                              f'"{m.group(1)}" of {owner[m.group(1)]} (a higher or peer layer)')
cli = os.path.join(root, 'orchestration-layer', 'cli')
for d, _, files in os.walk(cli):
    for f in files:
        if not f.endswith(('.h', '.cc')):
            continue
        path = os.path.join(d, f)
        checked += 1
        for n, line in enumerate(open(path, encoding='utf-8'), 1):
            m = inc.match(line)
            if m and m.group(1) in internal and not os.path.exists(os.path.join(d, m.group(1))):
                bad += 1
                print(f'{os.path.relpath(path, root)}:{n}: the durastore command includes '
                      f'"{m.group(1)}", internal to {owner[m.group(1)]}: only durastore/... headers')
print(f'layering: {checked} files checked, {bad} upward or sideways includes')
sys.exit(1 if bad else 0)
PY
