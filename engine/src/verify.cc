// The integrity walk: every table's records (checksums), the engine's own records, then
// the components' index checks (verify.h).
#include "verify.h"

#include "batch_rep.h"
#include "coding.h"
#include "status_macros.h"
#include "store_impl.h"

namespace durastore::internal {
namespace {

constexpr uint64_t kProgressEvery = 10'000;

// Reads every record of `table`: a cursor step checks each checksum.
void WalkTable(MDB_txn* txn, MDB_dbi dbi, const char* name, VerifySink& sink) {
  sink.StartTable(name);
  Cursor cur(txn, dbi);
  MDB_val k, v;
  int rc = cur.First(&k, &v);
  for (; rc == 0 || rc == kChecksumMismatch; rc = cur.Next(&k, &v)) {
    sink.Record(name);
    if (rc == kChecksumMismatch) sink.Problem(name, View(k), "checksum mismatch");
  }
  if (rc != MDB_NOTFOUND) {
    sink.Problem(name, "", LmdbStatus(rc, "walking the table").ToString());
  }
}

}  // namespace

void VerifySink::Problem(std::string_view table, std::string_view key, std::string_view what) {
  if (report_->problems.size() >= options_.max_problems) {
    report_->truncated = true;
    return;
  }
  std::string p = "table '" + std::string(table) + "'";
  if (!key.empty()) p += " key '" + Printable(key) + "'";
  report_->problems.push_back(p + ": " + std::string(what));
}

void VerifySink::StartTable(std::string_view table) {
  in_table_ = 0;
  if (options_.progress) options_.progress(table, 0);
}

void VerifySink::Record(std::string_view table) {
  ++report_->records;
  if (++in_table_ % kProgressEvery == 0 && options_.progress) options_.progress(table, in_table_);
}

Status VerifyStore(MDB_txn* txn, const Tables& tables, const VerifyOptions& options,
                   VerifyReport* report) {
  VerifySink sink(options, report);
  const auto dbis = tables.all();
  for (size_t i = 0; i < dbis.size(); ++i) WalkTable(txn, dbis[i], Tables::kNames[i], sink);

  // The engine's records: the format marker and the counters.
  sink.StartTable("sys");
  Sequences seqs;
  auto format = GetIfPresent(txn, tables.sys, kFormatKey);
  if (!format.ok() || format->value_or("") != kFormatValue) {
    sink.Problem("sys", kFormatKey, "missing or not " + std::string(kFormatValue));
  }
  auto seq = GetIfPresent(txn, tables.sys, kSequencesKey);
  uint64_t lsn = 0;
  if (!seq.ok() || !seq->has_value() || !DecodeSequences(**seq, &seqs, &lsn).ok()) {
    sink.Problem("sys", kSequencesKey, "missing or not 36 bytes: the id checks are skipped");
    seqs.next_position = seqs.next_message_id = seqs.next_stream_id = UINT64_MAX;
    seqs.next_queue_id = UINT32_MAX;
  }
  RETURN_IF_ERROR(VerifyEventLog(txn, tables, seqs, sink));
  return VerifyQueues(txn, tables, seqs, sink);
}

}  // namespace durastore::internal
