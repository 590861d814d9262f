#!/bin/sh
# Regenerates the seed corpora in tests/fuzz/corpus/ (checked in; rerun after changing a
# record schema or a target's input format). Needs flatc. Usage: tests/fuzz/make_corpus.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/corpus"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed TARGET NAME PRINTF-FORMAT: one file of literal bytes.
seed() { mkdir -p "$out/$1"; printf "$3" > "$out/$1/$2"; }

# --- orchestration_records_fuzzer: byte 0 = decoder | (start offset << 3), then the record.
# Valid records come from the real schema through flatc, so mutations start from
# well-formed FlatBuffers.
fbs="$root/orchestration-layer/src/orchestration_records.fbs"
record() {  # record NAME ROOT_TYPE PREFIX_BYTE JSON
  printf '%s' "$4" > "$tmp/$1.json"
  flatc -b --root-type "durastore.orchestration.fb.$2" -o "$tmp" "$fbs" "$tmp/$1.json"
  mkdir -p "$out/orchestration_records_fuzzer"
  { printf "$3"; cat "$tmp/$1.bin"; } > "$out/orchestration_records_fuzzer/$1"
}
record instance InstanceRecord '\000' \
  '{"name":"order","version":"1.0.0","parent":"root","created_at_ms":1,"updated_at_ms":2}'
record instance_odd InstanceRecord '\010' '{"name":"n","version":"v"}'
record execution ExecutionRecord '\001' \
  '{"status":1,"output":"done","started_at_ms":5,"completed_at_ms":9,"pinned_version":"2.0.0","name":"n","version":"v"}'
record execution_running ExecutionRecord '\021' '{"status":0,"started_at_ms":5}'
record custom_status CustomStatusRecord '\002' '{"status":"50%","version":3}'
record session SessionRecord '\003' '{"owner":"worker-1","locked_until_ms":100,"last_activity_ms":50}'
# Keys: STR = u16 big-endian length + bytes; activity attribute = STR u64 u64.
seed orchestration_records_fuzzer key_two_strs '\004\000\003abc\000\001z'
seed orchestration_records_fuzzer u64 '\005\000\000\000\000\000\000\001\002'
seed orchestration_records_fuzzer activity '\006\000\002i1\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\007'

# --- eventlog/queue_records_fuzzer: FuzzedDataProvider streams (integers are taken from
# the end, strings from the front): a few shapes to start from.
for t in eventlog_records_fuzzer queue_records_fuzzer; do
  seed $t replace_value 'garbage-record\000\000\001\000\000\000\004\003\002\001\000'
  seed $t truncate '\000\000\000\000\001\001\001\001\001\001\001\001'
  seed $t flip_bytes '\377\000\000\020\000\000\000\002\002\001\002\002\001'
  seed $t append '\010\014\000\000\000trailing\003\003\001\003\000'
done

# --- batch_fuzzer and c_api_fuzzer: op-code streams.
seed batch_fuzzer appends 'streamA\000payload\000key\000\000\000\000\000\000\000\000\000'
seed batch_fuzzer enqueue_dequeue_ack 'q\000m\000\020\005\020\005\007\020\007\020\005'
seed batch_fuzzer limits '\001\002\001\002\001\002\001\002\014\014\014\005\005\005'
seed batch_fuzzer metadata 'k\000v\000\014\014\015\016\014\016\015\014'
seed c_api_fuzzer batch_commit 'stream\000payload\000\000\000\004\000\000\004\000\004'
seed c_api_fuzzer dequeue_settle 'q\000\003\003\006\002\006\005\004\000\005'
seed c_api_fuzzer provider 'inst\000name\0001.0.0\000\007\000\010\002\010\003\011\005'
seed c_api_fuzzer tokens '0123456789abcdef0123456789ABCDEF\005\006\007\010\011'

# --- lease_token_fuzzer: raw text.
seed lease_token_fuzzer valid '000102030405060708090a0b0c0d0e0f'
seed lease_token_fuzzer upper '000102030405060708090A0B0C0D0E0F'
seed lease_token_fuzzer short '0001020304'
seed lease_token_fuzzer bad_digit '000102030405060708090a0b0c0d0e0g'
echo "seed corpora written to $out"
