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

// Everything `instance show` prints.
struct InstanceView {
  orchestration::InstanceInfo info;
  std::vector<orchestration::ExecutionInfo> executions;
  uint64_t history_execution = 0;
  std::vector<orchestration::HistoryEvent> history;
  orchestration::InstanceTree tree;
};

InstanceView LoadInstance(Admin& admin, const ShowArgs& args) {
  InstanceView v;
  const std::string what = "instance '" + Printable(args.instance) + "'";
  auto info = admin.GetInstanceInfo(args.instance);
  if (!info.ok() && info.status().code() == Code::kNotFound) {
    throw Failure(kExitNotFound, what + " not found");
  }
  v.info = Take(std::move(info), "reading " + what);
  v.history_execution = args.execution.value_or(v.info.current_execution_id);
  for (uint64_t id : Take(admin.ListExecutions(args.instance), "listing executions of " + what)) {
    v.executions.push_back(
        Take(admin.GetExecutionInfo(args.instance, id), "reading an execution of " + what));
  }
  v.history =
      Take(admin.ReadHistoryWithExecutionId(args.instance, v.history_execution),
           "reading the history of " + what + " execution " + std::to_string(v.history_execution));
  v.tree = Take(admin.GetInstanceTree(args.instance), "reading the tree of " + what);
  return v;
}

void PrintInstanceJson(const InstanceView& v) {
  Json doc{{"info", InfoJson(v.info)}, {"executions", Json::array()}};
  for (const auto& e : v.executions) {
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
  doc["history_execution_id"] = v.history_execution;
  doc["history"] = Json::array();
  for (const auto& h : v.history) {
    Json j{{"event_id", h.event_id}};
    PutBytes(j, "payload", h.payload);
    doc["history"].push_back(std::move(j));
  }
  Json tree;
  PutBytes(tree, "root", v.tree.root);
  tree["instances"] = Json::array();
  for (const auto& i : v.tree.instances) {
    Json j;
    PutBytes(j, "instance", i);
    tree["instances"].push_back(std::move(j));
  }
  doc["tree"] = std::move(tree);
  PrintJson(std::cout, doc);
}

void PrintInstanceTables(const InstanceView& v) {
  KeyValues kv;
  kv.Add("instance", Printable(v.info.instance));
  kv.Add("orchestration", Printable(v.info.orchestration_name));
  kv.Add("version", Printable(v.info.version));
  kv.Add("status", StatusName(v.info.status));
  kv.Add("current execution", std::to_string(v.info.current_execution_id));
  kv.Add("output", v.info.output ? Printable(*v.info.output, 100) : "-");
  kv.Add("created at", FormatTime(v.info.created_at_ms));
  kv.Add("updated at", FormatTime(v.info.updated_at_ms));
  kv.Add("parent", v.info.parent_instance ? Printable(*v.info.parent_instance) : "-");
  kv.Print(std::cout);
  std::cout << "\nexecutions\n";
  Table exec({"ID", "STATUS", "STARTED_AT", "COMPLETED_AT", "EVENTS", "OUTPUT"},
             {true, false, false, false, true, false});
  for (const auto& e : v.executions) {
    exec.AddRow({std::to_string(e.execution_id), StatusName(e.status), FormatTime(e.started_at_ms),
                 e.completed_at_ms ? FormatTime(*e.completed_at_ms) : "-",
                 std::to_string(e.event_count), e.output ? Printable(*e.output, 60) : "-"});
  }
  exec.Print(std::cout);
  std::cout << "\nhistory of execution " << v.history_execution << "\n";
  Table hist({"EVENT_ID", "BYTES", "PAYLOAD"}, {true, true, false});
  for (const auto& h : v.history) {
    hist.AddRow(
        {std::to_string(h.event_id), std::to_string(h.payload.size()), Printable(h.payload, 100)});
  }
  hist.Print(std::cout);
  std::cout << "\ninstance tree (root " << Printable(v.tree.root) << ")\n";
  for (const auto& i : v.tree.instances) std::cout << "  " << Printable(i) << "\n";
}

void Show(const Common& common, const ShowArgs& args) {
  auto store = OpenForReading(common.store);
  Admin admin(*store);
  const InstanceView view = LoadInstance(admin, args);
  if (common.json) {
    PrintInstanceJson(view);
  } else {
    PrintInstanceTables(view);
  }
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
