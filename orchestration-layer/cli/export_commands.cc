// durastore export, import: a store's streams, queues and metadata as JSON lines, and back
// into an empty store. The record types, in the order export writes them:
//   {"type":"header","format":"durastore-export","version":1}
//   {"type":"event","stream","partition","sequence","position","appended_at_ms","key","payload"}
//                                                   (every event, in position order)
//   {"type":"queue","queue","lock_duration_ms","max_deliveries","dead_letter_queue","group_mode"}
//   {"type":"message","queue","id","visible_at_ms","enqueued_at_ms","delivery_count",
//    "group_key","attributes":[{"name","value"}],"payload"}   (after its queue's record)
//   {"type":"meta","key","value"}
//   {"type":"end","events","queues","messages","metadata"}   (counts, to detect truncation)
// Byte fields follow output.h (UTF-8 string, or base64 with "<name>_encoding").
// Import keeps every payload, key, partition number, event order (positions are new but
// in the same order), queue option, message group, attribute and visible time, and every
// metadata pair; message ids, enqueue times, delivery counts and append times are new,
// and a partition truncated in the source is renumbered from sequence 1.
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cli.h"
#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "output.h"

namespace durastore::cli {
namespace {

constexpr int kFormatVersion = 1;
constexpr size_t kBatchOps = 1000;
constexpr size_t kBatchBytes = size_t{32} << 20;

struct ExportCounts {
  uint64_t events = 0, queues = 0, messages = 0, metadata = 0;
};

void ExportEvents(Store& store, std::ostream& out, ExportCounts& n) {
  uint64_t after = 0;
  for (;;) {
    auto page = Take(eventlog::ReadAfter(store, after, eventlog::TailOptions{}), "reading events");
    for (const auto& p : page.events) {
      Json j{{"type", "event"}};
      PutBytes(j, "stream", p.stream);
      j["partition"] = p.partition;
      j["sequence"] = p.event.sequence;
      j["position"] = p.event.position;
      j["appended_at_ms"] = p.event.appended_at_ms;
      PutBytes(j, "key", p.event.key);
      PutBytes(j, "payload", p.event.payload);
      out << j.dump() << "\n";
      ++n.events;
    }
    after = page.next_after;
    if (page.reached_end()) return;
  }
}

void ExportQueues(Store& store, std::ostream& out, ExportCounts& n) {
  for (const std::string& name : Take(queue::ListQueues(store), "listing queues")) {
    const std::string what = "queue '" + Printable(name) + "'";
    auto options = Take(queue::GetQueueOptions(store, name), "reading " + what);
    Json q{{"type", "queue"}};
    PutBytes(q, "queue", name);
    q["lock_duration_ms"] = options.lock_duration_ms;
    q["max_deliveries"] = options.max_deliveries;
    PutBytes(q, "dead_letter_queue", options.dead_letter_queue);
    q["group_mode"] = options.group_mode;
    out << q.dump() << "\n";
    ++n.queues;
    std::optional<queue::BrowsePosition> after;
    do {
      auto page = Take(queue::BrowseQueue(store, name, 1000, after), "reading " + what);
      for (const auto& m : page.messages) {
        Json j{{"type", "message"}};
        PutBytes(j, "queue", name);
        j["id"] = m.id;
        PutMessage(j, m);
        out << j.dump() << "\n";
        ++n.messages;
      }
      after = page.next_after;
    } while (after);
  }
}

void ExportMetadata(Store& store, std::ostream& out, ExportCounts& n) {
  std::string after;
  for (;;) {
    auto page = Take(store.Scan({}, 1000, after), "scanning metadata");
    for (const auto& [key, value] : page) {
      Json j{{"type", "meta"}};
      PutBytes(j, "key", key);
      PutBytes(j, "value", value);
      out << j.dump() << "\n";
      ++n.metadata;
    }
    if (page.size() < 1000) return;
    after = page.back().first;
  }
}

void Export(const Common& common, const std::string& output) {
  auto store = OpenForReading(common.store);
  std::ofstream file;
  if (!output.empty() && output != "-") {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) throw Failure(kExitOther, "cannot write '" + output + "'");
  }
  std::ostream& out = file.is_open() ? file : std::cout;
  out << Json{{"type", "header"}, {"format", "durastore-export"}, {"version", kFormatVersion}}
             .dump()
      << "\n";
  ExportCounts n;
  ExportEvents(*store, out, n);
  ExportQueues(*store, out, n);
  ExportMetadata(*store, out, n);
  out << Json{{"type", "end"},
              {"events", n.events},
              {"queues", n.queues},
              {"messages", n.messages},
              {"metadata", n.metadata}}
             .dump()
      << "\n";
  out.flush();
  if (!out) throw Failure(kExitOther, "writing the export failed");
}

// Refuses a store holding anything: import merges nothing.
void RequireEmpty(Store& store, const std::string& path) {
  const bool empty = Take(eventlog::ListStreams(store, {}, 1), "listing streams").empty() &&
                     Take(queue::ListQueues(store), "listing queues").empty() &&
                     Take(store.Scan({}, 1), "scanning metadata").empty();
  if (!empty) {
    throw Failure(kExitUsage,
                  "store '" + path + "' is not empty: import only into a new or empty store");
  }
}

template <typename T>
T Field(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) throw Failure(kExitUsage, std::string("field '") + name + "' is missing");
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    throw Failure(kExitUsage, std::string("field '") + name + "' has the wrong type");
  }
}

class Importer {
 public:
  explicit Importer(Store& store) : store_(store) {}

  void Line(const Json& j) {
    const std::string type = Field<std::string>(j, "type");
    if (!header_seen_) {
      if (type != "header" || Field<std::string>(j, "format") != "durastore-export" ||
          Field<int>(j, "version") != kFormatVersion) {
        throw Failure(kExitUsage, "not a durastore export (version " +
                                      std::to_string(kFormatVersion) + ") header");
      }
      header_seen_ = true;
    } else if (end_seen_) {
      throw Failure(kExitUsage, "record after the end record");
    } else if (type == "event") {
      Event(j);
    } else if (type == "queue") {
      queue::QueueOptions o;
      o.lock_duration_ms = Field<int64_t>(j, "lock_duration_ms");
      o.max_deliveries = Field<uint32_t>(j, "max_deliveries");
      o.dead_letter_queue = GetBytes(j, "dead_letter_queue");
      o.group_mode = Field<bool>(j, "group_mode");
      batch_.ConfigureQueue(GetBytes(j, "queue"), o);
      ++n_.queues;
    } else if (type == "message") {
      queue::EnqueueOptions o;
      o.visible_at_ms = Field<int64_t>(j, "visible_at_ms");
      o.group_key = GetBytes(j, "group_key");
      for (const Json& a : Field<Json>(j, "attributes")) {
        o.attributes.push_back(queue::Attribute{GetBytes(a, "name"), GetBytes(a, "value")});
      }
      batch_.Enqueue(GetBytes(j, "queue"), GetBytes(j, "payload"), o);
      ++n_.messages;
    } else if (type == "meta") {
      batch_.Put(GetBytes(j, "key"), GetBytes(j, "value"));
      ++n_.metadata;
    } else if (type == "end") {
      end_seen_ = true;
      if (Field<uint64_t>(j, "events") != n_.events || Field<uint64_t>(j, "queues") != n_.queues ||
          Field<uint64_t>(j, "messages") != n_.messages ||
          Field<uint64_t>(j, "metadata") != n_.metadata) {
        throw Failure(kExitUsage, "the end record's counts do not match the records read");
      }
    } else {
      throw Failure(kExitUsage, "unknown record type '" + type + "'");
    }
    if (batch_.size() >= kBatchOps || batch_.ByteSize() >= kBatchBytes) Commit();
  }

  void Finish() {
    if (!end_seen_) {
      throw Failure(kExitUsage, "the input ends without its end record (truncated?)");
    }
    Commit();
  }

  const ExportCounts& counts() const { return n_; }
  size_t renumbered_partitions() const { return renumbered_.size(); }

 private:
  void Event(const Json& j) {
    std::string stream = GetBytes(j, "stream");
    const uint64_t partition = Field<uint64_t>(j, "partition");
    uint64_t& next = next_sequence_[{stream, partition}];
    ++next;
    if (Field<uint64_t>(j, "sequence") != next) renumbered_.insert({stream, partition});
    batch_.Append(stream, partition,
                  {eventlog::EventData{GetBytes(j, "payload"), GetBytes(j, "key")}});
    ++n_.events;
  }

  void Commit() {
    if (batch_.empty()) return;
    Check(store_.Commit(std::move(batch_)).status(), "importing");
  }

  Store& store_;
  Batch batch_;
  bool header_seen_ = false;
  bool end_seen_ = false;
  ExportCounts n_;
  std::map<std::pair<std::string, uint64_t>, uint64_t> next_sequence_;
  std::set<std::pair<std::string, uint64_t>> renumbered_;
};

void Import(const Common& common, const std::string& input) {
  std::ifstream file;
  if (!input.empty() && input != "-") {
    file.open(input, std::ios::binary);
    if (!file) throw Failure(kExitNotFound, "cannot read '" + input + "'");
  }
  std::istream& in = file.is_open() ? file : std::cin;
  auto store = OpenForImport(common.store);
  RequireEmpty(*store, common.store);
  Importer importer(*store);
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      importer.Line(Json::parse(line));
    } catch (const Json::parse_error& e) {
      throw Failure(kExitUsage, "line " + std::to_string(number) + ": not JSON: " + e.what());
    } catch (const Failure& e) {
      throw Failure(e.exit_code(), "line " + std::to_string(number) + ": " + e.what());
    }
  }
  importer.Finish();
  Check(store->Close(), "closing the store");
  const ExportCounts& n = importer.counts();
  if (importer.renumbered_partitions() > 0) {
    std::cerr << "durastore: note: " << importer.renumbered_partitions()
              << " partition(s) did not start at sequence 1 in the source (truncated): "
                 "their events were renumbered from 1\n";
  }
  if (common.json) {
    PrintJson(std::cout, Json{{"events", n.events},
                              {"queues", n.queues},
                              {"messages", n.messages},
                              {"metadata", n.metadata},
                              {"renumbered_partitions", importer.renumbered_partitions()}});
  } else {
    std::cout << "imported " << n.events << " events, " << n.queues << " queues, " << n.messages
              << " messages, " << n.metadata << " metadata keys\n";
  }
}

}  // namespace

void AddExportCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto output = std::make_shared<std::string>();
  CLI::App* ex = app.add_subcommand(
      "export", "Write every event, queue, message and metadata pair as JSON lines");
  AddCommon(ex, *common);
  ex->add_option("--output,-o", *output, "Write to this file (default: standard output)");
  ex->footer(
      "Output is always JSON lines (--json changes nothing). Not one snapshot: export a store "
      "no process writes for an exact copy. Record types: docs/operations.md.");
  ex->callback([common, output] { Export(*common, *output); });

  auto input = std::make_shared<std::string>("-");
  CLI::App* im = app.add_subcommand(
      "import", "Load an export into a new or empty store (refuses one holding anything)");
  AddCommon(im, *common);
  im->add_option("FILE", *input, "The export to read (default: standard input)");
  im->footer(
      "Message ids, enqueue times, delivery counts and append times are new; everything else "
      "is kept. Not atomic: after a failure, delete the store and import again.");
  im->callback([common, input] { Import(*common, *input); });
}

}  // namespace durastore::cli
