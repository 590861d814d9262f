// The orchestration layer's C API for Duroxide's management (durastore/c_orchestration.h):
// the Admin. Conventions and the shared helpers are in the engine's c_api_internal.h and
// c_orchestration_internal.h.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "c_orchestration_internal.h"
#include "durastore/c_orchestration.h"
#include "durastore/orchestration/admin.h"
#include "durastore/status.h"

namespace orch = durastore::orchestration;
using durastore::Status;
using durastore::c_api_internal::ArrayOut;
using durastore::c_api_internal::BufferOut;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::MakeHistory;
using durastore::c_api_internal::MakeStrings;
using durastore::c_api_internal::NoStr;
using durastore::c_api_internal::OptionalStr;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StatusIn;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::Str;
using durastore::c_api_internal::StringList;
using durastore::c_api_internal::ValueOut;

struct ds_admin {
  explicit ds_admin(durastore::Store& store) : admin(store) {}
  orch::Admin admin;
};

struct ds_instance_info {
  orch::InstanceInfo info;
};

struct ds_execution_info {
  orch::ExecutionInfo info;
};

namespace {

ds_execution_status StatusOut(orch::ExecutionStatus s) {
  switch (s) {
    case orch::ExecutionStatus::kRunning:
      return DS_EXECUTION_RUNNING;
    case orch::ExecutionStatus::kCompleted:
      return DS_EXECUTION_COMPLETED;
    case orch::ExecutionStatus::kFailed:
      return DS_EXECUTION_FAILED;
    case orch::ExecutionStatus::kContinuedAsNew:
      return DS_EXECUTION_CONTINUED_AS_NEW;
  }
  return DS_EXECUTION_RUNNING;
}

orch::InstanceFilter FilterIn(const ds_instance_filter* c) {
  orch::InstanceFilter f;
  if (c == nullptr) return f;
  if (c->has_instance_ids) {
    f.instance_ids = StringList(c->instance_ids, c->instance_id_count, "instance_ids");
  }
  if (c->has_completed_before) f.completed_before_ms = c->completed_before_ms;
  f.limit = c->limit;
  return f;
}

orch::PruneOptions PruneIn(const ds_prune_options* c) {
  orch::PruneOptions p;
  if (c == nullptr) return p;
  if (c->has_keep_last) p.keep_last = c->keep_last;
  if (c->has_completed_before) p.completed_before_ms = c->completed_before_ms;
  return p;
}

// The outcome of a delete or prune; `out` may be NULL (only the code is wanted).
Status DeleteResultOut(durastore::Result<orch::DeleteResult> deleted, ds_delete_result* out) {
  ds_delete_result ignored;
  return ValueOut(std::move(deleted), out != nullptr ? *out : ignored,
                  [](const orch::DeleteResult& r) -> ds_delete_result {
                    return {r.instances_deleted, r.executions_deleted, r.events_deleted,
                            r.queue_messages_deleted};
                  });
}

Status PruneResultOut(durastore::Result<orch::PruneResult> pruned, ds_prune_result* out) {
  ds_prune_result ignored;
  return ValueOut(std::move(pruned), out != nullptr ? *out : ignored,
                  [](const orch::PruneResult& r) -> ds_prune_result {
                    return {r.instances_processed, r.executions_deleted, r.events_deleted};
                  });
}

}  // namespace

// =====================================================================================
// Admin
// =====================================================================================

namespace {
orch::Admin& AdminOf(ds_admin* a) { return Ref(a, "admin").admin; }
}  // namespace

ds_code ds_admin_open(ds_store* store, ds_admin** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    *out = new ds_admin(StoreOf(store));
    return Status::OK();
  });
}

void ds_admin_free(ds_admin* admin) { delete admin; }

const char* ds_instance_info_instance(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : Str(info->info.instance, len);
}

const char* ds_instance_info_orchestration_name(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : Str(info->info.orchestration_name, len);
}

const char* ds_instance_info_version(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : Str(info->info.version, len);
}

uint64_t ds_instance_info_current_execution_id(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.current_execution_id;
}

ds_execution_status ds_instance_info_status(const ds_instance_info* info) {
  return info == nullptr ? DS_EXECUTION_RUNNING : StatusOut(info->info.status);
}

const char* ds_instance_info_output(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : OptionalStr(info->info.output, len);
}

int64_t ds_instance_info_created_at_ms(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.created_at_ms;
}

int64_t ds_instance_info_updated_at_ms(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.updated_at_ms;
}

const char* ds_instance_info_parent_instance(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : OptionalStr(info->info.parent_instance, len);
}

void ds_instance_info_free(ds_instance_info* info) { delete info; }

uint64_t ds_execution_info_execution_id(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.execution_id;
}

ds_execution_status ds_execution_info_status(const ds_execution_info* info) {
  return info == nullptr ? DS_EXECUTION_RUNNING : StatusOut(info->info.status);
}

const char* ds_execution_info_output(const ds_execution_info* info, size_t* len) {
  return info == nullptr ? NoStr(len) : OptionalStr(info->info.output, len);
}

int64_t ds_execution_info_started_at_ms(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.started_at_ms;
}

bool ds_execution_info_completed_at_ms(const ds_execution_info* info, int64_t* out) {
  if (info == nullptr || !info->info.completed_at_ms.has_value()) return false;
  if (out != nullptr) *out = *info->info.completed_at_ms;
  return true;
}

uint64_t ds_execution_info_event_count(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.event_count;
}

void ds_execution_info_free(ds_execution_info* info) { delete info; }

void ds_instance_filter_init(ds_instance_filter* filter) {
  if (filter == nullptr) return;
  *filter = ds_instance_filter{};
  filter->limit = orch::InstanceFilter{}.limit;
}

ds_code ds_admin_list_instances(ds_admin* admin, ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).ListInstances(), *out, MakeStrings);
  });
}

ds_code ds_admin_list_instances_by_status(ds_admin* admin, ds_execution_status status,
                                          ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).ListInstancesByStatus(StatusIn(status)), *out, MakeStrings);
  });
}

ds_code ds_admin_list_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                 uint64_t** execution_ids, size_t* count, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(execution_ids, count, "execution_ids", "count");
    return ArrayOut(AdminOf(admin).ListExecutions(Bytes(instance, instance_len, "instance")),
                    execution_ids, count);
  });
}

ds_code ds_admin_read_history(ds_admin* admin, const char* instance, size_t instance_len,
                              ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).ReadHistory(Bytes(instance, instance_len, "instance")), *out,
                    MakeHistory);
  });
}

ds_code ds_admin_read_history_with_execution_id(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint64_t execution_id,
                                                ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).ReadHistoryWithExecutionId(
                        Bytes(instance, instance_len, "instance"), execution_id),
                    *out, MakeHistory);
  });
}

ds_code ds_admin_latest_execution_id(ds_admin* admin, const char* instance, size_t instance_len,
                                     uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    return ValueOut(AdminOf(admin).LatestExecutionId(Bytes(instance, instance_len, "instance")),
                    result);
  });
}

ds_code ds_admin_get_instance_info(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_instance_info** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).GetInstanceInfo(Bytes(instance, instance_len, "instance")), *out,
                    [](orch::InstanceInfo info) { return new ds_instance_info{std::move(info)}; });
  });
}

ds_code ds_admin_get_execution_info(ds_admin* admin, const char* instance, size_t instance_len,
                                    uint64_t execution_id, ds_execution_info** out,
                                    ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(
        AdminOf(admin).GetExecutionInfo(Bytes(instance, instance_len, "instance"), execution_id),
        *out, [](orch::ExecutionInfo info) { return new ds_execution_info{std::move(info)}; });
  });
}

ds_code ds_admin_get_system_metrics(ds_admin* admin, ds_system_metrics* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_system_metrics& result = Ref(out, "out");
    return ValueOut(AdminOf(admin).GetSystemMetrics(), result,
                    [](const orch::SystemMetrics& m) -> ds_system_metrics {
                      return {m.total_instances,   m.total_executions,
                              m.running_instances, m.completed_instances,
                              m.failed_instances,  m.continued_as_new_instances,
                              m.total_events};
                    });
  });
}

ds_code ds_admin_get_queue_depths(ds_admin* admin, ds_queue_depths* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_queue_depths& result = Ref(out, "out");
    return ValueOut(AdminOf(admin).GetQueueDepths(), result,
                    [](const orch::QueueDepths& d) -> ds_queue_depths {
                      return {d.orchestrator, d.worker};
                    });
  });
}

ds_code ds_admin_list_children(ds_admin* admin, const char* instance, size_t instance_len,
                               ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).ListChildren(Bytes(instance, instance_len, "instance")), *out,
                    MakeStrings);
  });
}

ds_code ds_admin_get_parent_id(ds_admin* admin, const char* instance, size_t instance_len,
                               char** parent, size_t* parent_len, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(parent, parent_len, "parent", "parent_len");
    auto got = AdminOf(admin).GetParentId(Bytes(instance, instance_len, "instance"));
    if (!got.ok()) return got.status();
    if (got->has_value()) BufferOut(**got, parent, parent_len);
    return Status::OK();
  });
}

ds_code ds_admin_get_instance_tree(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(AdminOf(admin).GetInstanceTree(Bytes(instance, instance_len, "instance")), *out,
                    [](orch::InstanceTree tree) { return MakeStrings(std::move(tree.instances)); });
  });
}

ds_code ds_admin_max_orchestrator_attempt_count(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint32_t* out,
                                                ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint32_t& result = Ref(out, "out");
    return ValueOut(
        AdminOf(admin).MaxOrchestratorAttemptCount(Bytes(instance, instance_len, "instance")),
        result);
  });
}

ds_code ds_admin_delete_instance(ds_admin* admin, const char* instance, size_t instance_len,
                                 bool force, ds_delete_result* out, ds_error** err) {
  return Guard(err, [&] {
    return DeleteResultOut(
        AdminOf(admin).DeleteInstance(Bytes(instance, instance_len, "instance"), force), out);
  });
}

ds_code ds_admin_delete_instances_atomic(ds_admin* admin, const ds_str* instances, size_t count,
                                         bool force, ds_delete_result* out, ds_error** err) {
  return Guard(err, [&] {
    const auto ids = StringList(instances, count, "instances");
    return DeleteResultOut(AdminOf(admin).DeleteInstancesAtomic(ids, force), out);
  });
}

ds_code ds_admin_delete_instance_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                      ds_delete_result* out, ds_error** err) {
  return Guard(err, [&] {
    const auto cpp = FilterIn(filter);
    return DeleteResultOut(AdminOf(admin).DeleteInstanceBulk(cpp), out);
  });
}

ds_code ds_admin_prune_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                  const ds_prune_options* options, ds_prune_result* out,
                                  ds_error** err) {
  return Guard(err, [&] {
    const auto cpp = PruneIn(options);
    return PruneResultOut(
        AdminOf(admin).PruneExecutions(Bytes(instance, instance_len, "instance"), cpp), out);
  });
}

ds_code ds_admin_prune_executions_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                       const ds_prune_options* options, ds_prune_result* out,
                                       ds_error** err) {
  return Guard(err, [&] {
    const auto filter_cpp = FilterIn(filter);
    const auto options_cpp = PruneIn(options);
    return PruneResultOut(AdminOf(admin).PruneExecutionsBulk(filter_cpp, options_cpp), out);
  });
}
