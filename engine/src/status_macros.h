// Internal helpers for propagating Status values.
//
// NotFoundAsNullopt is the one way to treat "absent" as a value rather than an error:
// `ASSIGN_OR_RETURN(auto info, NotFoundAsNullopt(eventlog::GetStreamInfo(store, s)));`
// gives nullopt for NotFound and returns every other error. (Over LMDB directly, use
// GetIfPresent in lmdb_env.h.)
#ifndef DURASTORE_ENGINE_STATUS_MACROS_H_
#define DURASTORE_ENGINE_STATUS_MACROS_H_

#include <optional>
#include <utility>

#include "durastore/status.h"

#define DS_CONCAT_INNER(a, b) a##b
#define DS_CONCAT(a, b) DS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)         \
  do {                                \
    ::durastore::Status _st = (expr); \
    if (!_st.ok()) return _st;        \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, ResultExpr)`: binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(DS_CONCAT(_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

namespace durastore::internal {

// The value of `r`, nullopt when `r` is NotFound, the error of `r` otherwise.
template <typename T>
Result<std::optional<T>> NotFoundAsNullopt(Result<T> r) {
  if (r.ok()) return std::optional<T>(std::move(r).value());
  if (r.status().code() == Code::kNotFound) return std::optional<T>();
  return r.status();
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_STATUS_MACROS_H_
