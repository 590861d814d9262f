#!/usr/bin/env python3
"""Tests of the durastore command, one case per run (tests/cli/meson.build lists them).

Usage: cli_test.py CASE DURASTORE CLI_FIXTURE GOLDEN_DIR

Every case builds a fresh store with `cli_fixture build` (manual clock: ids, positions
and times are the same on every run) and runs the command against it.
 - golden-NAME: the human output must equal GOLDEN_DIR/NAME.txt. A golden line holding
   <*> matches any non-blank text there (sizes, ages), with runs of blanks matching any
   run. DURASTORE_UPDATE_GOLDEN=1 rewrites the golden files instead.
 - json-NAME: the --json output must have exactly the schema below.
 - error-NAME: the exit code and a phrase of the message on stderr.
 - the rest are scenarios (round trip, redrive, busy store, ...).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CASE, DURASTORE, FIXTURE, GOLDEN_DIR = sys.argv[1:5]
WORK = tempfile.mkdtemp(prefix='durastore-cli-')
STORE = os.path.join(WORK, 'store')

EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_BUSY = 0, 1, 2, 3


def fail(msg):
    print(f'FAIL {CASE}: {msg}')
    sys.exit(1)


def run(args, expect=EXIT_OK, stdin=None, env=None):
    p = subprocess.run([DURASTORE] + args, capture_output=True, text=True, input=stdin,
                       timeout=30, env=env)
    if expect is not None and p.returncode != expect:
        fail(f'durastore {" ".join(args)} exited {p.returncode}, expected {expect}\n'
             f'stdout:\n{p.stdout}\nstderr:\n{p.stderr}')
    return p


def build(path=STORE):
    subprocess.run([FIXTURE, 'build', path], check=True)


# ---- golden human output -------------------------------------------------------------

GOLDEN = {
    'stat': ['stat', STORE],
    'streams': ['streams', STORE],
    'streams-prefix': ['streams', STORE, 'order/'],
    'read': ['read', STORE, 'order/1'],
    'read-paged': ['read', STORE, 'order/1', '1', '--count', '2'],
    'read-backward': ['read', STORE, 'order/2', '2', '--backward'],
    'read-binary': ['read', STORE, 'blob'],
    'tail': ['tail', STORE],
    'tail-from': ['tail', STORE, '--from', '2', '--count', '3'],
    'tail-prefix': ['tail', STORE, '--from', '1', '--count', '100', '--prefix', 'order/'],
    'queues': ['queues', STORE],
    'queue-peek': ['queue', 'peek', STORE, 'emails'],
    'queue-peek-dlq': ['queue', 'peek', STORE, 'jobs', '--dlq'],
    'meta-scan': ['meta', 'scan', STORE, 'config/'],
    'meta-get': ['meta', 'get', STORE, 'config/owner'],
    'instances': ['instances', STORE],
    'instances-completed': ['instances', STORE, '--status', 'completed'],
    'instance-show': ['instance', 'show', STORE, 'order-8'],
    'verify': ['verify', STORE],
}


def matches(golden_line, line):
    if '<*>' not in golden_line:
        return golden_line == line
    parts = [re.escape(p) for p in golden_line.split('<*>')]
    pattern = r'\S+'.join(parts)
    pattern = re.sub(r'(\\ )+', ' +', pattern)
    return re.fullmatch(pattern, line) is not None


def check_golden(name, text):
    path = os.path.join(GOLDEN_DIR, name + '.txt')
    if os.environ.get('DURASTORE_UPDATE_GOLDEN'):
        with open(path, 'w') as f:
            f.write(text.replace(WORK, '<WORK>'))
        return
    want = open(path).read().replace('<WORK>', WORK).split('\n')
    got = text.split('\n')
    if len(want) != len(got) or not all(matches(w, g) for w, g in zip(want, got)):
        fail(f'output differs from {path}\n--- expected\n{chr(10).join(want)}'
             f'--- got\n{text}')


# ---- --json schemas ------------------------------------------------------------------
# A dict is an object with exactly these keys (plus "<key>_encoding" for byte fields, BYTES);
# a one-element list is an array of that; a tuple is any of its types.
BYTES = 'bytes'
INT, STR, BOOL, NULL = int, str, bool, type(None)
ATTR = {'name': BYTES, 'value': BYTES}
EVENT = {'sequence': INT, 'position': INT, 'appended_at_ms': INT, 'key': BYTES, 'payload': BYTES}
INFO = {'instance': BYTES, 'orchestration_name': BYTES, 'version': BYTES,
        'current_execution_id': INT, 'status': STR, 'output': (BYTES, NULL),
        'created_at_ms': INT, 'updated_at_ms': INT, 'parent_instance': (BYTES, NULL)}
JSON_CASES = {
    'stat': (['stat', STORE], {
        'store': STR, 'files': [{'name': STR, 'bytes': INT}], 'total_bytes': INT,
        'streams': INT, 'partitions': INT, 'events': INT, 'event_bytes': INT,
        'last_position': INT, 'queues': INT,
        'messages': {'ready': INT, 'delayed': INT, 'leased': INT, 'dead_lettered': INT},
        'metadata_keys': INT}),
    'streams': (['streams', STORE], {
        'prefix': STR, 'streams': [{'stream': BYTES, 'partitions': INT,
                                    'latest_partition': INT, 'events': INT, 'bytes': INT}]}),
    'read': (['read', STORE, 'blob'], {
        'stream': BYTES, 'partition': INT, 'events': [EVENT], 'next_sequence': (INT, NULL)}),
    'queues': (['queues', STORE], {
        'queues': [{'queue': BYTES, 'ready': INT, 'delayed': INT, 'leased': INT,
                    'dead_lettered': INT, 'oldest_ready_age_ms': INT,
                    'lock_duration_ms': INT, 'max_deliveries': INT,
                    'dead_letter_queue': BYTES, 'group_mode': BOOL}]}),
    'queue-peek': (['queue', 'peek', STORE, 'jobs', '--dlq'], {
        'queue': BYTES, 'messages': [{'id': INT, 'state': STR, 'visible_at_ms': INT,
                                      'enqueued_at_ms': INT, 'delivery_count': INT,
                                      'group_key': BYTES, 'attributes': [ATTR],
                                      'payload': BYTES}], 'more': BOOL}),
    'meta-get': (['meta', 'get', STORE, 'binary'], {'key': BYTES, 'value': BYTES}),
    'meta-scan': (['meta', 'scan', STORE], {'prefix': STR, 'entries': [{'key': BYTES,
                                                                        'value': BYTES}]}),
    'instances': (['instances', STORE], {'instances': [INFO]}),
    'instance-show': (['instance', 'show', STORE, 'order-7'], {
        'info': INFO,
        'executions': [{'execution_id': INT, 'status': STR, 'output': (BYTES, NULL),
                        'started_at_ms': INT, 'completed_at_ms': (INT, NULL),
                        'event_count': INT}],
        'history_execution_id': INT, 'history': [{'event_id': INT, 'payload': BYTES}],
        'tree': {'root': BYTES, 'instances': [{'instance': BYTES}]}}),
    'verify': (['verify', STORE], {
        'records': INT, 'problems': (list,), 'truncated': BOOL,
        'crashed': (NULL, {'table': STR, 'how': STR})}),
    'backup': (['backup', STORE, os.path.join(WORK, 'copy')], {
        'store': STR, 'dest': STR, 'compact': BOOL, 'bytes': INT, 'seconds': (INT, float)}),
    'redrive': (['dlq', 'redrive', STORE, 'jobs'], {
        'queue': BYTES, 'dead_letter_queue': BYTES, 'redriven': INT}),
}


class SchemaError(Exception):
    pass


def check_schema(value, schema, where='$'):
    def fail(msg):  # noqa: F811 (alternatives of a tuple catch it)
        raise SchemaError(msg)
    if schema == BYTES:
        if not isinstance(value, str):
            fail(f'{where}: expected a byte string, got {value!r}')
    elif isinstance(schema, tuple):
        for option in schema:
            try:
                check_schema(value, option, where)
                return
            except SchemaError:
                pass
        fail(f'{where}: {value!r} is none of {schema}')
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            fail(f'{where}: expected an object, got {value!r}')
        allowed = set(schema) | {k + '_encoding' for k, s in schema.items()
                                 if s == BYTES or (isinstance(s, tuple) and BYTES in s)}
        if not set(schema) <= set(value) or not set(value) <= allowed:
            fail(f'{where}: keys {sorted(value)}, expected {sorted(schema)}')
        for k, v in value.items():
            if k.endswith('_encoding') and k not in schema:
                if v != 'base64':
                    fail(f'{where}.{k}: {v!r} is not "base64"')
            else:
                check_schema(v, schema[k], f'{where}.{k}')
    elif isinstance(schema, list):
        if not isinstance(value, list) or not value:
            fail(f'{where}: expected a non-empty array, got {value!r}')
        for i, item in enumerate(value):
            check_schema(item, schema[0], f'{where}[{i}]')
    elif schema is INT:
        if not isinstance(value, int) or isinstance(value, bool):
            fail(f'{where}: expected an integer, got {value!r}')
    elif not isinstance(value, schema):
        fail(f'{where}: expected {schema.__name__}, got {value!r}')


# ---- error cases ---------------------------------------------------------------------

MISSING = os.path.join(WORK, 'no-such-store')
ERRORS = {
    'missing-store': (['stat', MISSING], EXIT_NOT_FOUND, 'no store at'),
    'missing-store-redrive': (['dlq', 'redrive', MISSING, 'jobs'], EXIT_NOT_FOUND, 'no store at'),
    'unknown-stream': (['read', STORE, 'nope'], EXIT_NOT_FOUND, "stream 'nope'"),
    'unknown-partition': (['read', STORE, 'order/1', '9'], EXIT_NOT_FOUND, 'partition 9'),
    'unknown-queue': (['queue', 'peek', STORE, 'nope'], EXIT_NOT_FOUND, "queue 'nope'"),
    'unknown-queue-redrive': (['dlq', 'redrive', STORE, 'nope'], EXIT_NOT_FOUND, "'nope'"),
    'unknown-key': (['meta', 'get', STORE, 'nope'], EXIT_NOT_FOUND, "key 'nope' not found"),
    'unknown-instance': (['instance', 'show', STORE, 'nope'], EXIT_NOT_FOUND,
                         "instance 'nope' not found"),
    'no-command': ([], EXIT_USAGE, 'A subcommand is required'),
    'unknown-command': (['frobnicate', STORE], EXIT_USAGE, 'A subcommand is required'),
    'missing-argument': (['read', STORE], EXIT_USAGE, 'STREAM is required'),
    'bad-status': (['instances', STORE, '--status', 'Sleeping'], EXIT_USAGE, '--status must be'),
    'bad-count': (['tail', STORE, '--count', '0'], EXIT_USAGE, '--count'),
    'bad-number': (['read', STORE, 'order/1', 'one'], EXIT_USAGE, 'PARTITION'),
    'missing-store-verify': (['verify', MISSING], EXIT_NOT_FOUND, 'no store at'),
    'missing-store-backup': (['backup', MISSING, os.path.join(WORK, 'copy')], EXIT_NOT_FOUND,
                             'no store at'),
    'backup-into-used': (['backup', STORE, STORE], EXIT_USAGE, 'AlreadyExists'),
    'backup-no-parent': (['backup', STORE, os.path.join(WORK, 'nope', 'copy')], EXIT_NOT_FOUND,
                         'NotFound'),
    'missing-import-file': (['import', os.path.join(WORK, 'new'), os.path.join(WORK, 'nope')],
                            EXIT_NOT_FOUND, 'cannot read'),
}


# ---- scenarios -----------------------------------------------------------------------

def normalized_export(text):
    """An export without the fields an import assigns anew."""
    out = []
    for line in text.splitlines():
        r = json.loads(line)
        for field in ('position', 'appended_at_ms', 'id', 'enqueued_at_ms', 'delivery_count'):
            r.pop(field, None)
        out.append(r)
    return out


def roundtrip():
    exported = run(['export', STORE]).stdout
    records = [json.loads(line) for line in exported.splitlines()]
    kinds = [r['type'] for r in records]
    if kinds[0] != 'header' or kinds[-1] != 'end':
        fail(f'export does not start with a header and end with an end record: {kinds}')
    if not any(r.get('payload_encoding') == 'base64' for r in records):
        fail('the binary payload was not exported as base64')
    path = os.path.join(WORK, 'export.jsonl')
    with open(path, 'w') as f:
        f.write(exported)
    copy = os.path.join(WORK, 'copy')
    out = run(['import', copy, path]).stdout
    if 'imported 12 events, 5 queues, 5 messages, 13 metadata keys' not in out:
        fail(f'unexpected import summary: {out}')
    again = run(['export', copy]).stdout
    if normalized_export(again) != normalized_export(exported):
        fail(f'export of the imported copy differs:\n{exported}\n---\n{again}')
    # The orchestration layer reads the copy as it read the original.
    for args in (['instance', 'show', '{}', 'order-8'], ['instances', '{}']):
        a = run([x.format(STORE) for x in args]).stdout
        b = run([x.format(copy) for x in args]).stdout
        if a != b:
            fail(f'{" ".join(args)} differs on the imported copy:\n{a}\n---\n{b}')
    # Dead letters keep payload, visible time and attributes (ids and counts are new).
    def peek(store):
        doc = json.loads(run(['queue', 'peek', store, 'jobs', '--dlq', '--json']).stdout)
        for m in doc['messages']:
            for field in ('id', 'enqueued_at_ms', 'delivery_count'):
                m.pop(field)
        return doc
    if peek(STORE) != peek(copy):
        fail(f'dead letters differ on the imported copy: {peek(STORE)} vs {peek(copy)}')
    # Stdin works too, into a second new store.
    run(['import', os.path.join(WORK, 'copy2')], stdin=exported)


def import_refuses():
    path = os.path.join(WORK, 'export.jsonl')
    with open(path, 'w') as f:
        f.write(run(['export', STORE]).stdout)
    p = run(['import', STORE, path], expect=EXIT_USAGE)
    if 'is not empty' not in p.stderr:
        fail(f'no "is not empty" in: {p.stderr}')
    lines = open(path).read().splitlines()
    cut = os.path.join(WORK, 'cut.jsonl')
    with open(cut, 'w') as f:
        f.write('\n'.join(lines[:-1]) + '\n')
    p = run(['import', os.path.join(WORK, 'new1'), cut], expect=EXIT_USAGE)
    if 'without its end record' not in p.stderr:
        fail(f'a truncated export was not refused clearly: {p.stderr}')
    bad = os.path.join(WORK, 'bad.jsonl')
    with open(bad, 'w') as f:
        f.write(lines[0] + '\n{"type":"event","stream":\n')
    p = run(['import', os.path.join(WORK, 'new2'), bad], expect=EXIT_USAGE)
    if 'line 2: not JSON' not in p.stderr:
        fail(f'a malformed line was not named: {p.stderr}')


def redrive():
    out = run(['dlq', 'redrive', STORE, 'jobs', '--count', '1']).stdout
    if out != 'moved 1 message from jobs.dead-letter back to jobs\n':
        fail(f'unexpected: {out!r}')
    out = run(['dlq', 'redrive', STORE, 'jobs']).stdout
    if out != 'moved 1 message from jobs.dead-letter back to jobs\n':
        fail(f'unexpected: {out!r}')
    out = run(['dlq', 'redrive', STORE, 'jobs']).stdout
    if out != 'moved 0 messages from jobs.dead-letter back to jobs\n':
        fail(f'unexpected: {out!r}')
    check_golden('redrive-peek', run(['queue', 'peek', STORE, 'jobs']).stdout)
    check_golden('redrive-peek-dlq', run(['queue', 'peek', STORE, 'jobs', '--dlq']).stdout)


def redrive_many():
    """More dead letters than one round moves (15), built through import."""
    records = [{'type': 'header', 'format': 'durastore-export', 'version': 1},
               {'type': 'queue', 'queue': 'q', 'lock_duration_ms': 30000, 'max_deliveries': 0,
                'dead_letter_queue': '', 'group_mode': False},
               {'type': 'queue', 'queue': 'q.dead-letter', 'lock_duration_ms': 30000,
                'max_deliveries': 0, 'dead_letter_queue': '', 'group_mode': False}]
    for i in range(40):
        source = 'q' if i % 4 else 'other'  # a shared dead-letter queue: 10 came from elsewhere
        records.append({'type': 'message', 'queue': 'q.dead-letter', 'visible_at_ms': 0,
                        'group_key': '', 'payload': f'm{i}',
                        'attributes': [{'name': 'dead-letter-from', 'value': source},
                                       {'name': 'kept', 'value': str(i)}]})
    records.append({'type': 'end', 'events': 0, 'queues': 2, 'messages': 40, 'metadata': 0})
    store = os.path.join(WORK, 'many')
    run(['import', store], stdin=''.join(json.dumps(r) + '\n' for r in records))
    doc = json.loads(run(['dlq', 'redrive', store, 'q', '--json']).stdout)
    if doc['redriven'] != 30:
        fail(f'moved {doc["redriven"]}, expected the 30 that came from q')
    moved = json.loads(run(['queue', 'peek', store, 'q', '--json']).stdout)['messages']
    want = [f'm{i}' for i in range(40) if i % 4]
    if [m['payload'] for m in moved] != want:
        fail(f'moved {[m["payload"] for m in moved]}, expected {want} in order')
    if any(m['attributes'] != [{'name': 'kept', 'value': m['payload'][1:]}] for m in moved):
        fail(f'attributes not kept without the dead-letter ones: {moved[0]["attributes"]}')
    left = json.loads(run(['queue', 'peek', store, 'q', '--dlq', '--json']).stdout)['messages']
    if [m['payload'] for m in left] != [f'm{i}' for i in range(0, 40, 4)]:
        fail(f'left in the dead-letter queue: {[m["payload"] for m in left]}')


def busy():
    holder = subprocess.Popen([FIXTURE, 'hold', STORE], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        if holder.stdout.readline().strip() != 'ready':
            fail('the holder did not open the store')
        p = run(['dlq', 'redrive', STORE, 'jobs'], expect=EXIT_BUSY)
        if f'in use by process {holder.pid}' not in p.stderr:
            fail(f'the busy message does not name the holder (pid {holder.pid}): {p.stderr}')
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def read_beside_writer():
    """Read commands open read-only: they work while another process writes the store."""
    holder = subprocess.Popen([FIXTURE, 'hold', STORE], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        if holder.stdout.readline().strip() != 'ready':
            fail('the holder did not open the store')
        for args in (['stat'], ['streams'], ['read', '', 'order/1'], ['tail'], ['queues'],
                     ['queue', 'peek', '', 'emails'], ['meta', 'scan'], ['instances'],
                     ['instance', 'show', '', 'order-7'], ['export'], ['verify']):
            args = args + [STORE] if '' not in args else [a or STORE for a in args]
            run(args)
        check_golden('streams', run(['streams', STORE]).stdout)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def follow():
    """tail --follow prints what a writer in another process commits after it started."""
    writer = subprocess.Popen([FIXTURE, 'append', STORE, '5', '100'], stdout=subprocess.PIPE,
                              text=True)
    try:
        if writer.stdout.readline().strip() != 'ready':
            fail('the writer did not open the store')
        start = time.monotonic()
        p = run(['tail', STORE, '--from', '13', '--count', '5', '--follow', '--json'])
        lines = [json.loads(line) for line in p.stdout.splitlines()]
        got = [(r['stream'], r['sequence'], r['payload']) for r in lines]
        want = [('live', i, f'live-{i}') for i in range(1, 6)]
        if got != want:
            fail(f'followed {got}, expected {want}')
        if time.monotonic() - start > 20:
            fail('following 5 commits 100 ms apart took over 20 s')
    finally:
        writer.wait(timeout=30)


def niceness_of(args):
    """The niceness of `durastore tail STORE --follow ARGS` once it waits for commits."""
    p = subprocess.Popen([DURASTORE, 'tail', STORE, '--follow', '--count', '1000000'] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.stdout.readline()  # the store is open: it printed the first event
        with open(f'/proc/{p.pid}/stat') as f:
            return int(f.read().rsplit(')', 1)[1].split()[16])  # field 19, nice
    finally:
        p.send_signal(2)
        p.wait(timeout=30)


def nice():
    """A command yields the CPU to the writer beside it (nice 10) unless --nice says else."""
    caller = os.getpriority(os.PRIO_PROCESS, 0)
    for args, want in (([], max(10, caller)), (['--nice', '15'], max(15, caller)),
                       (['--nice', '0'], caller)):
        got = niceness_of(args)
        if got != want:
            fail(f'tail --follow {" ".join(args)} ran at nice {got}, expected {want}')
    p = run(['stat', STORE, '--nice', '20'], expect=EXIT_USAGE)
    if '--nice' not in p.stderr:
        fail(f'an out-of-range --nice is not named: {p.stderr!r}')


def corruption():
    """A damaged value is Corruption (exit 4), whichever command reads it."""
    path = os.path.join(STORE, 'data.mdb')
    data = bytearray(open(path, 'rb').read())
    # Every copy: LMDB's copy-on-write leaves older page versions in the file.
    at = data.find(b'ops@example.com')
    if at < 0:
        fail('the value to damage is not in data.mdb')
    while at >= 0:
        data[at] ^= 0x20
        at = data.find(b'ops@example.com', at + 1)
    open(path, 'wb').write(bytes(data))
    for args in (['meta', 'get', STORE, 'config/owner'], ['meta', 'scan', STORE], ['export', STORE]):
        p = run(args, expect=4)
        if 'Corruption' not in p.stderr:
            fail(f'{" ".join(args)}: no Corruption in: {p.stderr}')
    run(['meta', 'get', STORE, 'config/retention'])  # the rest still reads
    p = run(['verify', STORE], expect=4)
    lines = p.stdout.splitlines()
    if lines != ["table 'meta' key 'config/owner': checksum mismatch",
                 'verified 92 records: 1 problem(s)']:
        fail(f'verify did not name the damaged record: {p.stdout!r}')
    doc = json.loads(run(['verify', STORE, '--json'], expect=4).stdout)
    if doc['problems'] != ["table 'meta' key 'config/owner': checksum mismatch"]:
        fail(f'verify --json: {doc}')


def backup():
    """A copy, plain and compacted, verifies and exports exactly as the original."""
    original = run(['export', STORE]).stdout
    for flags in ([], ['--compact']):
        copy = os.path.join(WORK, 'copy' + ''.join(flags))
        out = run(['backup', STORE, copy] + flags).stdout
        want = r'backed up \S+ to \S+%s: \d+ bytes in \d+\.\d\d s\n' % (
            ' \\(compacted\\)' if flags else '')
        if not re.fullmatch(want, out):
            fail(f'unexpected backup output {out!r}')
        run(['verify', copy])
        if run(['export', copy]).stdout != original:
            fail(f'the {flags or "plain"} copy does not export as the original')


def backup_beside_writer():
    """Backing up a store a writer process is appending to: every event a reader saw
    before the backup began is in the copy, which verifies."""
    writer = subprocess.Popen([FIXTURE, 'append', STORE, '60', '20'], stdout=subprocess.PIPE,
                              text=True)
    try:
        if writer.stdout.readline().strip() != 'ready':
            fail('the writer did not open the store')
        time.sleep(0.3)
        seen = len(json.loads(run(['read', STORE, 'live', '--json'], expect=None).stdout
                              or '{"events": []}')['events'])
        copy = os.path.join(WORK, 'copy')
        run(['backup', STORE, copy, '--compact'])
    finally:
        writer.wait(timeout=30)
    run(['verify', copy])
    events = json.loads(run(['read', copy, 'live', '--json', '--count', '1000']).stdout)['events']
    if [e['sequence'] for e in events] != list(range(1, len(events) + 1)) or len(events) < seen:
        fail(f'the copy holds {len(events)} live events, a reader had seen {seen}')
    if seen == 0 or len(events) == 60:
        print(f'note: the backup did not overlap the writer (seen {seen}, copied {len(events)})')


def verify_crash():
    """A verify walk that crashes (as LMDB can on a damaged page) is reported, exit 4."""
    env = dict(os.environ, LD_PRELOAD=os.environ['DURASTORE_CRASH_LMDB'],
               DURASTORE_TEST_CRASH_AFTER='40')
    p = run(['verify', STORE], expect=4, env=env)
    if not re.search(r"verifying process was killed by signal 11 \(.*\) in table '\w+': "
                     r"the store is damaged", p.stderr):
        fail(f'the crash was not reported clearly: {p.stderr!r}')
    doc = json.loads(run(['verify', STORE, '--json'], expect=4, env=env).stdout)
    if not doc['crashed'] or 'signal 11' not in doc['crashed']['how']:
        fail(f'verify --json does not report the crash: {doc}')
    env['DURASTORE_TEST_CRASH_AFTER'] = '1000000'  # the interposer alone changes nothing
    run(['verify', STORE], env=env)


def unclean_store():
    """A store left by a crash is refused until a writer has recovered it."""
    crashed = os.path.join(WORK, 'crashed')
    subprocess.run([FIXTURE, 'abandon', crashed], check=True)
    p = run(['stat', crashed], expect=5)
    if 'Unavailable' not in p.stderr:
        fail(f'no Unavailable in: {p.stderr}')
    subprocess.run([FIXTURE, 'hold', crashed], input='', text=True, check=True,
                   stdout=subprocess.DEVNULL)
    if 'events                1' not in run(['stat', crashed]).stdout:
        fail('the recovered store does not hold its one event')


def help_everywhere():
    commands = [[], ['stat'], ['streams'], ['read'], ['tail'], ['queues'], ['queue', 'peek'],
                ['dlq', 'redrive'], ['meta', 'get'], ['meta', 'scan'], ['instances'],
                ['instance', 'show'], ['export'], ['import'], ['verify'], ['backup']]
    for c in commands:
        out = run(c + ['--help']).stdout
        if 'Usage:' not in out or ('--json' not in out and c):
            fail(f'durastore {" ".join(c)} --help: {out}')


def main():
    build()
    try:
        if CASE.startswith('golden-'):
            name = CASE[len('golden-'):]
            check_golden(name, run(GOLDEN[name]).stdout)
        elif CASE.startswith('json-'):
            args, schema = JSON_CASES[CASE[len('json-'):]]
            try:
                check_schema(json.loads(run(args + ['--json']).stdout), schema)
            except SchemaError as e:
                fail(str(e))
        elif CASE.startswith('error-'):
            args, code, phrase = ERRORS[CASE[len('error-'):]]
            p = run(args, expect=code)
            if phrase not in p.stderr:
                fail(f'stderr lacks {phrase!r}: {p.stderr!r}')
            if p.stdout and code != EXIT_USAGE:
                fail(f'a failed command printed to stdout: {p.stdout!r}')
        else:
            globals()[CASE.replace('-', '_')]()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print(f'ok {CASE}')


main()
