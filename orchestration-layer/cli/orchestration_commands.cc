// durastore instances, instance show: Duroxide orchestrations through the Admin API.
#include <algorithm>
#include <cctype>
#include <iostream>

#include "cli.h"
#include "durastore/orchestration/admin.h"
#include "output.h"

namespace durastore::cli {
namespace {

using orchestration::Admin;
using orchestration::ExecutionStatus;

ExecutionStatus ParseStatus(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (ExecutionStatus s : {ExecutionStatus::kRunning, ExecutionStatus::kCompleted,
                            ExecutionStatus::kFailed, ExecutionStatus::kContinuedAsNew}) {
    std::string name(orchestration::ExecutionStatusName(s));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == lower) return s;
  }
  throw Failure(kExitUsage, "--status must be Running, Completed, Failed or ContinuedAsNew, not '" +
                                text + "'");
}

std::string StatusName(ExecutionStatus s) {
  return std::string(orchestration::ExecutionStatusName(s));
}

Json InfoJson(const orchestration::InstanceInfo& info) {
  Json j;
  PutBytes(j, "instance", info.instance);
  PutBytes(j, "orchestration_name", info.orchestration_name);
  PutBytes(j, "version", info.version);
  j["current_execution_id"] = info.current_execution_id;
  j["status"] = StatusName(info.status);
  if (info.output) {
    PutBytes(j, "output", *info.output);
  } else {
    j["output"] = nullptr;
  }
  j["created_at_ms"] = info.created_at_ms;
  j["updated_at_ms"] = info.updated_at_ms;
  if (info.parent_instance) {
    PutBytes(j, "parent_instance", *info.parent_instance);
  } else {
    j["parent_instance"] = nullptr;
  }
  return j;
}

struct InstancesArgs {
  std::optional<std::string> status;
  size_t limit = 1000;
};

void Instances(const Common& common, const InstancesArgs& args) {
  std::optional<ExecutionStatus> status;
  if (args.status) status = ParseStatus(*args.status);
  auto store = OpenForReading(common.store);
  Admin admin(*store);
  auto ids = Take(status ? admin.ListInstancesByStatus(*status) : admin.ListInstances(),
                  "listing instances");
  if (ids.size() > args.limit) ids.resize(args.limit);
  Json list = Json::array();
  Table table({"INSTANCE", "ORCHESTRATION", "VERSION", "EXECUTION", "STATUS", "CREATED_AT",
               "UPDATED_AT", "PARENT"},
              {false, false, false, true, false, false, false, false});
  for (const std::string& id : ids) {
    auto info = admin.GetInstanceInfo(id);
    if (!info.ok() && info.status().code() == Code::kNotFound) continue;  // deleted meanwhile
    Check(info.status(), "reading instance '" + Printable(id) + "'");
    if (common.json) {
      list.push_back(InfoJson(*info));
    } else {
      table.AddRow({Printable(id), Printable(info->orchestration_name), Printable(info->version),
                    std::to_string(info->current_execution_id), StatusName(info->status),
                    FormatTime(info->created_at_ms), FormatTime(info->updated_at_ms),
                    info->parent_instance ? Printable(*info->parent_instance) : "-"});
    }
  }
  if (common.json) {
    PrintJson(std::cout, Json{{"instances", std::move(list)}});
  } else {
    table.Print(std::cout);
  }
}

struct ShowArgs {
  std::string instance;
  std::optional<uint64_t> execution;
};

void Show(const Common& common, const ShowArgs& args) {
  auto store = OpenForReading(common.store);
  Admin admin(*store);
  const std::string what = "instance '" + Printable(args.instance) + "'";
  auto info = admin.GetInstanceInfo(args.instance);
  if (!info.ok() && info.status().code() == Code::kNotFound) {
    throw Failure(kExitNotFound, what + " not found");
  }
  Check(info.status(), "reading " + what);
  const uint64_t execution = args.execution.value_or(info->current_execution_id);
  std::vector<orchestration::ExecutionInfo> executions;
  for (uint64_t id : Take(admin.ListExecutions(args.instance), "listing executions of " + what)) {
    executions.push_back(
        Take(admin.GetExecutionInfo(args.instance, id), "reading an execution of " + what));
  }
  auto history = Take(admin.ReadHistoryWithExecutionId(args.instance, execution),
                      "reading the history of " + what + " execution " + std::to_string(execution));
  auto tree = Take(admin.GetInstanceTree(args.instance), "reading the tree of " + what);
  if (common.json) {
    Json doc{{"info", InfoJson(*info)}, {"executions", Json::array()}};
    for (const auto& e : executions) {
      Json j{{"execution_id", e.execution_id}, {"status", StatusName(e.status)}};
      if (e.output) {
        PutBytes(j, "output", *e.output);
      } else {
        j["output"] = nullptr;
      }
      j["started_at_ms"] = e.started_at_ms;
      j["completed_at_ms"] = e.completed_at_ms ? Json(*e.completed_at_ms) : Json(nullptr);
      j["event_count"] = e.event_count;
      doc["executions"].push_back(std::move(j));
    }
    doc["history_execution_id"] = execution;
    doc["history"] = Json::array();
    for (const auto& h : history) {
      Json j{{"event_id", h.event_id}};
      PutBytes(j, "payload", h.payload);
      doc["history"].push_back(std::move(j));
    }
    Json tree_json;
    PutBytes(tree_json, "root", tree.root);
    tree_json["instances"] = Json::array();
    for (const auto& i : tree.instances) {
      Json j;
      PutBytes(j, "instance", i);
      tree_json["instances"].push_back(std::move(j));
    }
    doc["tree"] = std::move(tree_json);
    PrintJson(std::cout, doc);
    return;
  }
  KeyValues kv;
  kv.Add("instance", Printable(info->instance));
  kv.Add("orchestration", Printable(info->orchestration_name));
  kv.Add("version", Printable(info->version));
  kv.Add("status", StatusName(info->status));
  kv.Add("current execution", std::to_string(info->current_execution_id));
  kv.Add("output", info->output ? Printable(*info->output, 100) : "-");
  kv.Add("created at", FormatTime(info->created_at_ms));
  kv.Add("updated at", FormatTime(info->updated_at_ms));
  kv.Add("parent", info->parent_instance ? Printable(*info->parent_instance) : "-");
  kv.Print(std::cout);
  std::cout << "\nexecutions\n";
  Table exec({"ID", "STATUS", "STARTED_AT", "COMPLETED_AT", "EVENTS", "OUTPUT"},
             {true, false, false, false, true, false});
  for (const auto& e : executions) {
    exec.AddRow({std::to_string(e.execution_id), StatusName(e.status), FormatTime(e.started_at_ms),
                 e.completed_at_ms ? FormatTime(*e.completed_at_ms) : "-",
                 std::to_string(e.event_count), e.output ? Printable(*e.output, 60) : "-"});
  }
  exec.Print(std::cout);
  std::cout << "\nhistory of execution " << execution << "\n";
  Table hist({"EVENT_ID", "BYTES", "PAYLOAD"}, {true, true, false});
  for (const auto& h : history) {
    hist.AddRow(
        {std::to_string(h.event_id), std::to_string(h.payload.size()), Printable(h.payload, 100)});
  }
  hist.Print(std::cout);
  std::cout << "\ninstance tree (root " << Printable(tree.root) << ")\n";
  for (const auto& i : tree.instances) std::cout << "  " << Printable(i) << "\n";
}

}  // namespace

void AddOrchestrationCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto list = std::make_shared<InstancesArgs>();
  CLI::App* instances =
      app.add_subcommand("instances", "List orchestration instances, newest first");
  AddCommon(instances, *common);
  instances->add_option("--status", list->status,
                        "Only instances whose current execution is Running, Completed, Failed "
                        "or ContinuedAsNew");
  instances->add_option("--limit", list->limit, "Most instances listed (default 1000)")
      ->check(CLI::PositiveNumber);
  instances->callback([common, list] { Instances(*common, *list); });

  CLI::App* instance = app.add_subcommand("instance", "Look at one orchestration instance");
  instance->require_subcommand(1);
  auto show = std::make_shared<ShowArgs>();
  CLI::App* sh = instance->add_subcommand(
      "show", "An instance's info, executions, history (raw payloads) and instance tree");
  AddCommon(sh, *common);
  sh->add_option("ID", show->instance, "Instance id")->required();
  sh->add_option("--execution", show->execution,
                 "Print the history of this execution (default: the current one)");
  sh->callback([common, show] { Show(*common, *show); });
}

}  // namespace durastore::cli
