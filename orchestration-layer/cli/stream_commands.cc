// durastore streams, read, tail: the event log.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>

#include "cli.h"
#include "durastore/eventlog.h"
#include "output.h"

namespace durastore::cli {
namespace {

constexpr size_t kPayloadColumn = 60;  // characters of a payload shown in a table

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

void Streams(const Common& common, const std::string& prefix, size_t limit) {
  auto store = OpenForReading(common.store);
  Json list = Json::array();
  Table table({"STREAM", "PARTITIONS", "LATEST", "EVENTS", "BYTES"},
              {false, true, true, true, true});
  std::string after;
  size_t listed = 0;
  while (listed < limit) {
    const size_t want = std::min<size_t>(1000, limit - listed);
    auto page = Take(eventlog::ListStreams(*store, prefix, want, after), "listing streams");
    for (const std::string& stream : page) {
      auto info = eventlog::GetStreamInfo(*store, stream);
      if (!info.ok() && info.status().code() == Code::kNotFound) continue;  // deleted meanwhile
      Check(info.status(), "reading stream '" + Printable(stream) + "'");
      ++listed;
      if (common.json) {
        Json s;
        PutBytes(s, "stream", stream);
        s["partitions"] = info->partition_count;
        s["latest_partition"] = info->latest_partition;
        s["events"] = info->event_count;
        s["bytes"] = info->bytes;
        list.push_back(std::move(s));
      } else {
        table.AddRow({Printable(stream), std::to_string(info->partition_count),
                      std::to_string(info->latest_partition), std::to_string(info->event_count),
                      std::to_string(info->bytes)});
      }
    }
    if (page.size() < want) break;
    after = page.back();
  }
  if (common.json) {
    PrintJson(std::cout, Json{{"prefix", prefix}, {"streams", std::move(list)}});
  } else {
    table.Print(std::cout);
  }
}

struct ReadArgs {
  std::string stream;
  std::optional<uint64_t> partition;
  std::optional<uint64_t> from;
  size_t count = 100;
  bool backward = false;
};

void Read(const Common& common, const ReadArgs& args) {
  auto store = OpenForReading(common.store);
  const std::string where = "stream '" + Printable(args.stream) + "'";
  const uint64_t partition =
      args.partition ? *args.partition
                     : Take(eventlog::LatestPartition(*store, args.stream), "reading " + where);
  eventlog::ReadOptions options;
  options.from_sequence = args.from;
  options.backward = args.backward;
  std::vector<eventlog::Event> events;
  std::optional<uint64_t> next;
  do {
    options.max_count = std::min<size_t>(1000, args.count - events.size());
    auto page = Take(eventlog::ReadPartition(*store, args.stream, partition, options),
                     "reading " + where + " partition " + std::to_string(partition));
    for (auto& e : page.events) events.push_back(std::move(e));
    next = page.next_sequence;
    options.from_sequence = next;
  } while (next && events.size() < args.count);
  if (common.json) {
    Json doc;
    PutBytes(doc, "stream", args.stream);
    doc["partition"] = partition;
    doc["events"] = Json::array();
    for (const auto& e : events) {
      Json j{
          {"sequence", e.sequence}, {"position", e.position}, {"appended_at_ms", e.appended_at_ms}};
      PutBytes(j, "key", e.key);
      PutBytes(j, "payload", e.payload);
      doc["events"].push_back(std::move(j));
    }
    doc["next_sequence"] = next ? Json(*next) : Json(nullptr);
    PrintJson(std::cout, doc);
    return;
  }
  Table table({"SEQ", "POSITION", "APPENDED_AT", "KEY", "BYTES", "PAYLOAD"},
              {true, true, false, false, true, false});
  for (const auto& e : events) {
    table.AddRow({std::to_string(e.sequence), std::to_string(e.position),
                  FormatTime(e.appended_at_ms), Printable(e.key), std::to_string(e.payload.size()),
                  Printable(e.payload, kPayloadColumn)});
  }
  table.Print(std::cout);
  if (next) std::cout << "(more from sequence " << *next << ": --from " << *next << ")\n";
}

struct TailArgs {
  std::optional<uint64_t> from;
  std::optional<size_t> count;
  std::string prefix;
  bool follow = false;
};

void PrintTailEvent(const Common& common, const eventlog::PositionedEvent& p) {
  const eventlog::Event& e = p.event;
  if (common.json) {
    Json j{{"position", e.position}};
    PutBytes(j, "stream", p.stream);
    j["partition"] = p.partition;
    j["sequence"] = e.sequence;
    j["appended_at_ms"] = e.appended_at_ms;
    PutBytes(j, "key", e.key);
    PutBytes(j, "payload", e.payload);
    std::cout << j.dump() << "\n";
  } else {
    std::cout << e.position << "  " << Printable(p.stream) << " p" << p.partition << " #"
              << e.sequence << "  " << FormatTime(e.appended_at_ms) << "  "
              << Printable(e.payload, kPayloadColumn) << "\n";
  }
}

// Prints events after `after` until the end of the log, at most `budget` of them; with
// `wait`, first waits that long for one if there is none. Returns the position to
// continue after and decrements `budget`.
uint64_t TailOnce(Store& store, const Common& common, const TailArgs& args, uint64_t after,
                  size_t& budget, std::chrono::milliseconds wait) {
  eventlog::TailOptions options;
  options.stream_prefix = args.prefix;
  options.wait = wait;
  for (;;) {
    options.max_count = std::min<size_t>(1000, budget);
    auto page = Take(eventlog::ReadAfter(store, after, options), "reading the tail");
    for (const auto& e : page.events) PrintTailEvent(common, e);
    budget -= page.events.size();
    after = page.next_after;
    if (page.reached_end() || budget == 0 || g_stop) return after;
  }
}

void Tail(const Common& common, const TailArgs& args) {
  auto store = OpenForReading(common.store);
  size_t budget = args.count.value_or(args.follow ? SIZE_MAX : 10);
  uint64_t after;
  if (args.from) {
    after = *args.from == 0 ? 0 : *args.from - 1;
  } else {
    // The last `count` positions (10 by default): fewer events if some were deleted.
    const uint64_t last = Take(eventlog::LastPosition(*store), "reading the last position");
    const uint64_t back = args.count.value_or(10);
    after = last > back ? last - back : 0;
  }
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  after = TailOnce(*store, common, args, after, budget, std::chrono::milliseconds(0));
  std::cout.flush();
  // A read-only Store notices the writer's commits by polling its position counter (every
  // 50 ms; no wake-up crosses processes): each wait returns soon after one, and at least
  // every 500 ms to see Ctrl-C.
  while (args.follow && budget > 0 && !g_stop) {
    after = TailOnce(*store, common, args, after, budget, std::chrono::milliseconds(500));
    std::cout.flush();
  }
}

}  // namespace

void AddStreamCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto prefix = std::make_shared<std::string>();
  auto limit = std::make_shared<size_t>(SIZE_MAX);
  CLI::App* streams =
      app.add_subcommand("streams", "List streams (with a prefix) and their partitions and events");
  AddCommon(streams, *common);
  streams->add_option("PREFIX", *prefix, "Stream key prefix (default: every stream)");
  streams->add_option("--limit", *limit, "Most streams listed")->check(CLI::PositiveNumber);
  streams->callback([common, prefix, limit] { Streams(*common, *prefix, *limit); });

  auto read = std::make_shared<ReadArgs>();
  CLI::App* rd = app.add_subcommand("read", "Print the events of one partition of a stream");
  AddCommon(rd, *common);
  rd->add_option("STREAM", read->stream, "Stream key")->required();
  rd->add_option("PARTITION", read->partition, "Partition (default: the stream's latest)");
  rd->add_option("--from", read->from,
                 "First sequence (default: the first; with --backward, the last)");
  rd->add_option("--count", read->count, "Most events printed (default 100)")
      ->check(CLI::PositiveNumber);
  rd->add_flag("--backward", read->backward, "Newest first");
  rd->callback([common, read] { Read(*common, *read); });

  auto tail = std::make_shared<TailArgs>();
  CLI::App* tl = app.add_subcommand(
      "tail", "Print events of every stream in commit (position) order; --follow for new ones");
  AddCommon(tl, *common);
  tl->add_option("--from", tail->from,
                 "First position (default: the last --count positions, 10 if not given)");
  tl->add_option("--count", tail->count,
                 "Stop after this many events (default: 10; with --follow, never)")
      ->check(CLI::PositiveNumber);
  tl->add_option("--prefix", tail->prefix, "Only streams whose key starts with this");
  tl->add_flag("--follow", tail->follow,
               "At the end, wait for new commits and print them, until --count or Ctrl-C");
  tl->footer(
      "Each line: POSITION  STREAM pPARTITION #SEQUENCE  APPENDED_AT  PAYLOAD. --json prints "
      "one JSON object per event and line (JSON lines). A follower in another process than "
      "the writer notices new commits by polling every 50 ms: no wake-up crosses processes.");
  tl->callback([common, tail] { Tail(*common, *tail); });
}

}  // namespace durastore::cli
