// What the orchestration layer's C API bindings share (c_provider.cc and c_admin.cc): the
// history result type and the execution status conversion. Built on the engine's
// c_api_internal.h, which describes the conventions. Not a public header.
#ifndef DURASTORE_ORCHESTRATION_C_ORCHESTRATION_INTERNAL_H_
#define DURASTORE_ORCHESTRATION_C_ORCHESTRATION_INTERNAL_H_

#include <memory>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "durastore/c_orchestration.h"
#include "durastore/orchestration/provider.h"

struct ds_history {
  std::vector<durastore::orchestration::HistoryEvent> events;
  std::vector<ds_history_event> views;
};

namespace durastore::c_api_internal {

inline ds_history_event HistoryView(const orchestration::HistoryEvent& e) {
  return {e.event_id, e.payload.data(), e.payload.size()};
}

inline ds_history* MakeHistory(std::vector<orchestration::HistoryEvent> events) {
  auto out = std::make_unique<ds_history>();
  out->events = std::move(events);
  out->views.reserve(out->events.size());
  for (const auto& e : out->events) out->views.push_back(HistoryView(e));
  return out.release();
}

inline orchestration::ExecutionStatus StatusIn(const ds_execution_status& s) {
  switch (EnumBits(s)) {
    case DS_EXECUTION_RUNNING:
      return orchestration::ExecutionStatus::kRunning;
    case DS_EXECUTION_COMPLETED:
      return orchestration::ExecutionStatus::kCompleted;
    case DS_EXECUTION_FAILED:
      return orchestration::ExecutionStatus::kFailed;
    case DS_EXECUTION_CONTINUED_AS_NEW:
      return orchestration::ExecutionStatus::kContinuedAsNew;
  }
  InvalidEnum("execution status", s);
}

}  // namespace durastore::c_api_internal

#endif  // DURASTORE_ORCHESTRATION_C_ORCHESTRATION_INTERNAL_H_
