// durastore stat, meta get, meta scan: the store as a whole and its metadata table.
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "output.h"

namespace durastore::cli {
namespace {

struct Counts {
  uint64_t streams = 0, partitions = 0, events = 0, event_bytes = 0, last_position = 0;
  uint64_t queues = 0, ready = 0, delayed = 0, leased = 0, dead_lettered = 0;
  uint64_t metadata_keys = 0;
};

Counts CountEverything(Store& store) {
  Counts c;
  std::string after;
  for (;;) {
    auto page = Take(eventlog::ListStreams(store, {}, 1000, after), "listing streams");
    for (const std::string& stream : page) {
      auto info = eventlog::GetStreamInfo(store, stream);
      if (!info.ok() && info.status().code() == Code::kNotFound) continue;  // deleted meanwhile
      Check(info.status(), "reading stream info");
      ++c.streams;
      c.partitions += info->partition_count;
      c.events += info->event_count;
      c.event_bytes += info->bytes;
    }
    if (page.size() < 1000) break;
    after = page.back();
  }
  c.last_position = Take(eventlog::LastPosition(store), "reading the last position");
  for (const std::string& q : Take(queue::ListQueues(store), "listing queues")) {
    auto counters = Take(queue::GetCounters(store, q), "counting queue '" + Printable(q) + "'");
    ++c.queues;
    c.ready += counters.ready;
    c.delayed += counters.delayed;
    c.leased += counters.leased;
    c.dead_lettered += counters.dead_lettered;
  }
  after.clear();
  for (;;) {
    auto page = Take(store.Scan({}, 1000, after), "scanning metadata");
    c.metadata_keys += page.size();
    if (page.size() < 1000) break;
    after = page.back().first;
  }
  return c;
}

void Stat(const Common& common) {
  namespace fs = std::filesystem;
  auto store = OpenForReading(common.store);
  std::vector<std::pair<std::string, uint64_t>> files;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(common.store, ec)) {
    if (!entry.is_regular_file()) continue;
    const uint64_t size = entry.file_size(ec);
    files.emplace_back(entry.path().filename().string(), ec ? 0 : size);
    total += ec ? 0 : size;
  }
  if (ec) throw Failure(kExitOther, "listing '" + common.store + "': " + ec.message());
  std::sort(files.begin(), files.end());
  const Counts c = CountEverything(*store);
  if (common.json) {
    Json doc;
    doc["store"] = common.store;
    doc["files"] = Json::array();
    for (const auto& [name, size] : files)
      doc["files"].push_back({{"name", name}, {"bytes", size}});
    doc["total_bytes"] = total;
    doc["streams"] = c.streams;
    doc["partitions"] = c.partitions;
    doc["events"] = c.events;
    doc["event_bytes"] = c.event_bytes;
    doc["last_position"] = c.last_position;
    doc["queues"] = c.queues;
    doc["messages"] = {{"ready", c.ready},
                       {"delayed", c.delayed},
                       {"leased", c.leased},
                       {"dead_lettered", c.dead_lettered}};
    doc["metadata_keys"] = c.metadata_keys;
    PrintJson(std::cout, doc);
    return;
  }
  std::cout << "store " << common.store << "\n\n";
  Table table({"FILE", "BYTES"}, {false, true});
  for (const auto& [name, size] : files) table.AddRow({name, std::to_string(size)});
  table.AddRow({"(total)", std::to_string(total)});
  table.Print(std::cout);
  std::cout << "\n";
  KeyValues kv;
  kv.Add("streams", std::to_string(c.streams));
  kv.Add("partitions", std::to_string(c.partitions));
  kv.Add("events", std::to_string(c.events));
  kv.Add("event bytes", std::to_string(c.event_bytes));
  kv.Add("last position", std::to_string(c.last_position));
  kv.Add("queues", std::to_string(c.queues));
  kv.Add("messages ready", std::to_string(c.ready));
  kv.Add("messages delayed", std::to_string(c.delayed));
  kv.Add("messages leased", std::to_string(c.leased));
  kv.Add("dead-lettered (ever)", std::to_string(c.dead_lettered));
  kv.Add("metadata keys", std::to_string(c.metadata_keys));
  kv.Print(std::cout);
}

void MetaGet(const Common& common, const std::string& key) {
  auto store = OpenForReading(common.store);
  auto value = store->Get(key);
  if (!value.ok() && value.status().code() == Code::kNotFound) {
    throw Failure(kExitNotFound, "metadata key '" + Printable(key) + "' not found");
  }
  Check(value.status(), "reading metadata key '" + Printable(key) + "'");
  if (common.json) {
    Json doc;
    PutBytes(doc, "key", key);
    PutBytes(doc, "value", *value);
    PrintJson(std::cout, doc);
  } else {
    std::cout << *value << "\n";
  }
}

void MetaScan(const Common& common, const std::string& prefix, size_t limit) {
  auto store = OpenForReading(common.store);
  std::vector<std::pair<std::string, std::string>> entries;
  std::string after;
  while (entries.size() < limit) {
    const size_t want = std::min<size_t>(1000, limit - entries.size());
    auto page = Take(store->Scan(prefix, want, after), "scanning metadata");
    for (auto& e : page) entries.push_back(std::move(e));
    if (page.size() < want) break;
    after = entries.back().first;
  }
  if (common.json) {
    Json doc;
    doc["prefix"] = prefix;
    doc["entries"] = Json::array();
    for (const auto& [key, value] : entries) {
      Json entry;
      PutBytes(entry, "key", key);
      PutBytes(entry, "value", value);
      doc["entries"].push_back(std::move(entry));
    }
    PrintJson(std::cout, doc);
    return;
  }
  Table table({"KEY", "BYTES", "VALUE"}, {false, true, false});
  for (const auto& [key, value] : entries) {
    table.AddRow({Printable(key), std::to_string(value.size()), Printable(value, 60)});
  }
  table.Print(std::cout);
}

}  // namespace

void AddStoreCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  CLI::App* stat = app.add_subcommand(
      "stat", "Files and sizes, counts of streams, events, queues, messages and metadata keys");
  AddCommon(stat, *common);
  stat->callback([common] { Stat(*common); });

  CLI::App* meta = app.add_subcommand("meta", "Read the metadata table");
  meta->require_subcommand(1);
  auto key = std::make_shared<std::string>();
  CLI::App* get = meta->add_subcommand("get", "Print one metadata value (exit 2 if absent)");
  AddCommon(get, *common);
  get->add_option("KEY", *key, "Metadata key")->required();
  get->callback([common, key] { MetaGet(*common, *key); });

  auto prefix = std::make_shared<std::string>();
  auto limit = std::make_shared<size_t>(1000);
  CLI::App* scan = meta->add_subcommand("scan", "List metadata keys with a prefix, ascending");
  AddCommon(scan, *common);
  scan->add_option("PREFIX", *prefix, "Key prefix (default: every key)");
  scan->add_option("--limit", *limit, "Most entries printed")
      ->check(CLI::Range(size_t{1}, SIZE_MAX));
  scan->callback([common, prefix, limit] { MetaScan(*common, *prefix, *limit); });
}

}  // namespace durastore::cli
