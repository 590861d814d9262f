#include "metadata.h"

#include <algorithm>

#include "apply.h"
#include "status_macros.h"

namespace durastore::internal {

Status ApplyMetadataPut(WriteContext& ctx, const PutOp& op) {
  return Put(ctx.txn, ctx.tables->meta, op.key, op.value);
}

Status ApplyMetadataDelete(WriteContext& ctx, const DeleteOp& op) {
  return Del(ctx.txn, ctx.tables->meta, op.key);
}

Status ApplyMetadataDeleteRange(WriteContext& ctx, const DeleteRangeOp& op) {
  Cursor cur(ctx.txn, ctx.tables->meta);
  MDB_val k, v;
  int rc = op.begin.empty() ? cur.First(&k, &v) : cur.Seek(op.begin, &k, &v);
  while (rc == 0 && (op.end.empty() || View(k) < op.end)) {
    rc = CursorDelete(cur.get());
    if (rc != 0) return LmdbStatus(rc, "deleting metadata range");
    rc = cur.Next(&k, &v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "metadata range");
  return Status::OK();
}

Result<std::string> GetMetadata(MDB_txn* txn, const Tables& tables, std::string_view key) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, tables.meta, key));
  if (!v) return Status::NotFound("metadata key '" + Printable(key) + "' is not set");
  return std::string(*v);
}

Result<std::vector<std::pair<std::string, std::string>>> ScanMetadata(
    MDB_txn* txn, const Tables& tables, std::string_view prefix, size_t limit,
    std::string_view start_after) {
  std::vector<std::pair<std::string, std::string>> out;
  Cursor cur(txn, tables.meta);
  MDB_val k, v;
  std::string from = std::max(std::string(prefix), std::string(start_after));
  int rc = from.empty() ? cur.First(&k, &v) : cur.Seek(from, &k, &v);
  for (; rc == 0 && out.size() < limit && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
    if (!start_after.empty() && View(k) == start_after) continue;
    out.emplace_back(View(k), View(v));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning metadata");
  return out;
}

}  // namespace durastore::internal
