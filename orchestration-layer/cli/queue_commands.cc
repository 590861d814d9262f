// durastore queues, queue peek, dlq redrive: the peek-lock queues and their dead letters.
#include <chrono>
#include <iostream>

#include "cli.h"
#include "durastore/batch.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "output.h"

namespace durastore::cli {
namespace {

constexpr std::string_view kReasonAttribute = "dead-letter-reason";
constexpr std::string_view kFromAttribute = "dead-letter-from";
// Dead letters moved per batch: 15 payloads of the largest size (16 MiB) stay under the
// batch byte limit (256 MiB), so a round can always commit.
constexpr size_t kRedriveBatch = limits::kMaxBatchBytes / limits::kMaxPayload - 1;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DeadLetterQueueOf(const std::string& queue, const queue::QueueOptions& options) {
  return options.dead_letter_queue.empty() ? queue + ".dead-letter" : options.dead_letter_queue;
}

void Queues(const Common& common) {
  auto store = OpenForReading(common.store);
  Json list = Json::array();
  Table table({"QUEUE", "READY", "DELAYED", "LEASED", "DEAD_LETTERED", "OLDEST_READY",
               "MAX_DELIVERIES", "DEAD_LETTER_QUEUE"},
              {false, true, true, true, true, true, true, false});
  for (const std::string& name : Take(queue::ListQueues(*store), "listing queues")) {
    const std::string what = "queue '" + Printable(name) + "'";
    auto counters = Take(queue::GetCounters(*store, name), "counting " + what);
    auto options = Take(queue::GetQueueOptions(*store, name), "reading " + what);
    const std::string dlq = DeadLetterQueueOf(name, options);
    if (common.json) {
      Json q;
      PutBytes(q, "queue", name);
      q["ready"] = counters.ready;
      q["delayed"] = counters.delayed;
      q["leased"] = counters.leased;
      q["dead_lettered"] = counters.dead_lettered;
      q["oldest_ready_age_ms"] = counters.oldest_ready_age_ms;
      q["lock_duration_ms"] = options.lock_duration_ms;
      q["max_deliveries"] = options.max_deliveries;
      PutBytes(q, "dead_letter_queue", dlq);
      q["group_mode"] = options.group_mode;
      list.push_back(std::move(q));
    } else {
      table.AddRow(
          {Printable(name), std::to_string(counters.ready), std::to_string(counters.delayed),
           std::to_string(counters.leased), std::to_string(counters.dead_lettered),
           counters.ready ? FormatAge(counters.oldest_ready_age_ms) : "-",
           options.max_deliveries ? std::to_string(options.max_deliveries) : "-", Printable(dlq)});
    }
  }
  if (common.json) {
    PrintJson(std::cout, Json{{"queues", std::move(list)}});
  } else {
    table.Print(std::cout);
  }
}

std::string AttributesText(const std::vector<queue::Attribute>& attributes) {
  std::string out;
  for (const auto& a : attributes) {
    if (!out.empty()) out += ",";
    out += Printable(a.name) + "=" + Printable(a.value);
  }
  return out;
}

struct PeekArgs {
  std::string queue;
  bool dlq = false;
  size_t count = 100;
};

void Peek(const Common& common, const PeekArgs& args) {
  auto store = OpenForReading(common.store);
  std::string name = args.queue;
  if (args.dlq) {
    auto options = Take(queue::GetQueueOptions(*store, args.queue),
                        "reading queue '" + Printable(args.queue) + "'");
    name = DeadLetterQueueOf(args.queue, options);
  }
  std::vector<queue::Message> messages;
  std::optional<queue::BrowsePosition> after;
  do {
    const size_t want = std::min<size_t>(1000, args.count - messages.size());
    auto page = Take(queue::BrowseQueue(*store, name, want, after),
                     "reading queue '" + Printable(name) + "'");
    for (auto& m : page.messages) messages.push_back(std::move(m));
    after = page.next_after;
  } while (after && messages.size() < args.count);
  const int64_t now = NowMs();
  if (common.json) {
    Json doc;
    PutBytes(doc, "queue", name);
    doc["messages"] = Json::array();
    for (const auto& m : messages) {
      Json j{{"id", m.id}, {"state", m.visible_at_ms > now ? "delayed" : "visible"}};
      PutMessage(j, m);
      doc["messages"].push_back(std::move(j));
    }
    doc["more"] = after.has_value();
    PrintJson(std::cout, doc);
    return;
  }
  Table table({"ID", "STATE", "VISIBLE_AT", "DELIVERIES", "GROUP", "ATTRIBUTES", "PAYLOAD"},
              {true, false, false, true, false, false, false});
  for (const auto& m : messages) {
    table.AddRow({std::to_string(m.id), m.visible_at_ms > now ? "delayed" : "visible",
                  FormatTime(m.visible_at_ms), std::to_string(m.delivery_count),
                  Printable(m.group_key), AttributesText(m.attributes), Printable(m.payload, 60)});
  }
  table.Print(std::cout);
  if (after) std::cout << "(more messages: raise --count)\n";
}

struct RedriveArgs {
  std::string queue;
  std::optional<size_t> count;
};

// Moves dead letters that came from args.queue back to it, oldest first: each round leases
// up to kRedriveBatch of them and, in one batch, enqueues copies (payload, group and attributes
// without the two dead-letter ones; delivery count 0) and acks the lease.
void Redrive(const Common& common, const RedriveArgs& args) {
  auto store = OpenForWriting(common.store);
  const std::string what = "queue '" + Printable(args.queue) + "'";
  auto options = Take(queue::GetQueueOptions(*store, args.queue), "reading " + what);
  const std::string dlq = DeadLetterQueueOf(args.queue, options);
  size_t moved = 0;
  const size_t limit = args.count.value_or(SIZE_MAX);
  while (moved < limit) {
    queue::DequeueOptions take;
    take.max_messages = std::min(kRedriveBatch, limit - moved);
    take.lock_duration_ms = 60'000;
    take.filter.push_back(queue::AttributeMatch{.name = std::string(kFromAttribute),
                                                .values = {args.queue},
                                                .match_absent = false,
                                                .match_any_value = false});
    auto lease = Take(queue::Dequeue(*store, dlq, take),
                      "taking dead letters from '" + Printable(dlq) + "'");
    if (!lease) break;
    Batch batch;
    for (const auto& m : lease->messages) {
      queue::EnqueueOptions copy;
      copy.group_key = m.group_key;
      for (const auto& a : m.attributes) {
        if (a.name != kReasonAttribute && a.name != kFromAttribute) copy.attributes.push_back(a);
      }
      batch.Enqueue(args.queue, m.payload, copy);
    }
    batch.Ack(lease->token);
    Check(store->Commit(std::move(batch)).status(), "moving dead letters back to " + what);
    moved += lease->messages.size();
  }
  if (common.json) {
    Json doc;
    PutBytes(doc, "queue", args.queue);
    PutBytes(doc, "dead_letter_queue", dlq);
    doc["redriven"] = moved;
    PrintJson(std::cout, doc);
  } else {
    std::cout << "moved " << moved << " message" << (moved == 1 ? "" : "s") << " from "
              << Printable(dlq) << " back to " << Printable(args.queue) << "\n";
  }
}

}  // namespace

void AddQueueCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  CLI::App* queues = app.add_subcommand("queues", "List queues with their counters and options");
  AddCommon(queues, *common);
  queues->footer(
      "LEASED counts leases of this process only: a read-only opener does not see the "
      "writer's (they live in its memory), so its leased messages count as READY.");
  queues->callback([common] { Queues(*common); });

  CLI::App* q = app.add_subcommand("queue", "Look at one queue");
  q->require_subcommand(1);
  auto peek = std::make_shared<PeekArgs>();
  CLI::App* pk = q->add_subcommand(
      "peek", "Print a queue's messages in delivery order, without leasing or counting them");
  AddCommon(pk, *common);
  pk->add_option("NAME", peek->queue, "Queue name")->required();
  pk->add_flag("--dlq", peek->dlq, "Peek the queue's dead-letter queue instead");
  pk->add_option("--count", peek->count, "Most messages printed (default 100)")
      ->check(CLI::PositiveNumber);
  pk->callback([common, peek] { Peek(*common, *peek); });

  CLI::App* dlq = app.add_subcommand("dlq", "Dead-letter queues");
  dlq->require_subcommand(1);
  auto redrive = std::make_shared<RedriveArgs>();
  CLI::App* rd = dlq->add_subcommand(
      "redrive", "Move a queue's dead letters back to it (a write: the store must not be in use)");
  AddCommon(rd, *common);
  rd->add_option("NAME", redrive->queue, "The queue whose dead letters to move back")->required();
  rd->add_option("--count", redrive->count, "Most messages moved (default: all)")
      ->check(CLI::PositiveNumber);
  rd->footer(
      "Moved messages are new messages of NAME: new ids, delivery count 0, visible at once, "
      "same payload, group and attributes (without dead-letter-reason and dead-letter-from).");
  rd->callback([common, redrive] { Redrive(*common, *redrive); });
}

}  // namespace durastore::cli
