// Kill -9 crash test: a child process (crash_child) commits batches and settles queue
// deliveries in a loop, reporting every acknowledged commit on a pipe; this test SIGKILLs
// it at random moments, reopens the store and checks it against a model of everything
// acknowledged so far. Verify only reads (PeekMessages, Scan, GetCounters): it takes no
// lease and changes no delivery count.
//
// The model. A message's delivery count = its committed dequeues minus its committed
// uncounted abandons; it never exceeds max_deliveries (3), since a dequeue that finds a
// count of 3 dead-letters the message instead. Each delivery ends in an ack, a counted
// abandon, an uncounted abandon (net zero), or a kill while leased (leases are not
// persisted, so it keeps its increment). Increments the test cannot attribute to an
// acknowledged counted abandon come from a kill while leased or a counted abandon
// committed but killed before its ABN line: each consumer is in at most one of those
// states when killed, so they total at most kConsumers per kill. That bound is how a
// message of a class that never abandons with counting can still reach "crash-dlq".
//
// DURASTORE_CRASH_ROUNDS sets the number of kills (default 25; more, up to 8x, while a
// slow build has not yet exercised every settlement); DURASTORE_CRASH_SEED replays a run
// (the seed is printed).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "crash_workload.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "kill_harness.h"
#include "test_util.h"

namespace durastore {
namespace {

using crash::Policy;
using testing::EnvOr;

// Everything the child acknowledged, over all rounds.
struct Model {
  std::map<int, uint64_t> acked;                       // writer -> highest acknowledged n
  std::set<std::string> dequeued;                      // DEQ: the ack batch committed
  std::map<std::string, uint32_t> counted_abandons;    // ABN <m> 1 lines per message
  std::map<std::string, uint32_t> uncounted_abandons;  // ABN <m> 0 lines per message
  uint64_t acked_commits = 0;
  uint64_t kills = 0;
};

// Runs crash_child for `run_ms`, kills it with SIGKILL and adds what it reported to
// `model`. Returns its stderr.
std::string RunAndKill(const std::string& child, const std::string& dir, int run_ms, Model& model) {
  // Every other run flushes through io_uring: the default (fdatasync) and the option both
  // get killed mid-flush.
  testing::KilledChild killed =
      testing::RunAndKill({child, dir, model.kills % 2 == 1 ? "io_uring" : "fdatasync"}, run_ms);
  ++model.kills;
  std::istringstream lines(killed.out);
  std::string kind, message;
  while (lines >> kind) {
    if (kind == "ACK") {
      int w;
      uint64_t n;
      lines >> w >> n;
      uint64_t& high = model.acked[w];
      model.acked_commits += n - std::min(n, high);
      high = std::max(high, n);
    } else if (kind == "DEQ") {
      lines >> message;
      EXPECT_TRUE(model.dequeued.insert(message).second) << "acked twice: " << message;
    } else if (kind == "ABN") {
      int counted = -1;
      lines >> message >> counted;
      EXPECT_TRUE(counted == 0 || counted == 1) << "bad ABN line for " << message;
      ++(counted == 1 ? model.counted_abandons : model.uncounted_abandons)[message];
    } else {
      ADD_FAILURE() << "unknown line from the child: " << kind;
    }
  }
  return killed.err;
}

// Checks streams and metadata of every writer against the acknowledged commits; adds the
// messages of every committed batch to `committed`. Returns the number of batches found.
uint64_t VerifyStreams(Store& store, const Model& model, std::set<std::string>& committed) {
  uint64_t total = 0;
  for (int w = 0; w < crash::kWriters; ++w) {
    uint64_t last = 0;
    auto stored = store.Get(crash::LastKey(w));
    if (stored.ok()) last = std::stoull(*stored);
    auto a = model.acked.find(w);
    uint64_t acked_n = a == model.acked.end() ? 0 : a->second;
    EXPECT_GE(last, acked_n) << "writer " << w << ": acknowledged commit " << acked_n
                             << " lost (store has " << last << ")";
    total += last;
    if (last == 0) continue;
    // The metadata put and the append of each batch are all-or-nothing.
    auto info = eventlog::GetPartitionInfo(store, crash::Stream(w), 1);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) continue;
    EXPECT_EQ(info->last_sequence, last) << "writer " << w;
    EXPECT_EQ(info->event_count, last) << "writer " << w;
    // Page through the partition: a long run's events exceed one read's byte limit.
    uint64_t next = 1;
    bool more = last > 0;
    while (more) {
      eventlog::ReadOptions options;
      options.from_sequence = next;
      options.max_count = 4096;
      auto events = eventlog::ReadPartition(store, crash::Stream(w), 1, options);
      EXPECT_TRUE(events.ok()) << events.status().ToString();
      if (!events.ok() || events->events.empty()) break;
      more = !events->reached_end();
      bool damaged = false;
      for (const eventlog::Event& e : events->events) {
        if (e.sequence != next || e.payload != crash::Payload(w, next)) {
          ADD_FAILURE() << "writer " << w << ": event " << next << " missing or wrong (found "
                        << e.sequence << ")";
          damaged = true;
          break;
        }
        ++next;
      }
      if (damaged) break;
    }
    EXPECT_EQ(next - 1, last) << "writer " << w << ": events end before the last key";
    for (uint64_t n = 1; n <= last; ++n) {
      if (crash::Enqueues(n)) committed.insert(crash::Message(w, n));
    }
  }
  return total;
}

// What the store holds of the queue workload, read without side effects.
struct Snapshot {
  std::map<std::string, queue::Message> queued;         // "crash", by payload
  std::map<std::string, queue::Message> dead_lettered;  // "crash-dlq", by payload
  std::map<std::string, std::string> acked;             // ack markers: payload -> count
  std::set<std::string> abandoned;                      // uncounted-abandon markers
};

std::string AttributeOf(const queue::Message& m, const std::string& name) {
  for (const auto& a : m.attributes) {
    if (a.name == name) return a.value;
  }
  return "<absent>";
}

// Every message of `queue`, by payload; a message seen before (here or in `other`) fails.
std::map<std::string, queue::Message> PeekAll(Store& store, const std::string& queue_name,
                                              const std::map<std::string, queue::Message>& other,
                                              std::set<uint64_t>& ids) {
  std::map<std::string, queue::Message> out;
  for (int w = 0; w < crash::kWriters; ++w) {
    const std::string tag = crash::WriterTag(w);
    auto peeked = queue::PeekMessages(store, queue_name, crash::kWriterAttribute, tag, 10'000'000);
    if (peeked.status().code() == Code::kNotFound) break;  // never created: no messages
    EXPECT_TRUE(peeked.ok()) << peeked.status().ToString();
    if (!peeked.ok()) continue;
    for (auto& m : *peeked) {
      EXPECT_EQ(m.payload.rfind(crash::Stream(w) + ":", 0), 0u)
          << m.payload << " carries writer attribute " << tag << " in " << queue_name;
      EXPECT_TRUE(ids.insert(m.id).second) << "message id " << m.id << " listed twice";
      EXPECT_EQ(other.count(m.payload), 0u) << m.payload << " is in both queues";
      std::string payload = m.payload;
      EXPECT_TRUE(out.emplace(payload, std::move(m)).second)
          << payload << " is in " << queue_name << " twice";
    }
  }
  return out;
}

std::map<std::string, std::string> ScanMarkers(Store& store, const std::string& prefix) {
  std::map<std::string, std::string> out;
  auto markers = store.Scan(prefix, 10'000'000);
  EXPECT_TRUE(markers.ok()) << markers.status().ToString();
  if (!markers.ok()) return out;
  for (const auto& [key, value] : *markers) out.emplace(key.substr(prefix.size()), value);
  return out;
}

Snapshot ReadSnapshot(Store& store) {
  Snapshot s;
  std::set<uint64_t> ids;
  s.queued = PeekAll(store, crash::kQueue, {}, ids);
  s.dead_lettered = PeekAll(store, crash::kDeadLetterQueue, s.queued, ids);
  s.acked = ScanMarkers(store, crash::kAckedPrefix);
  for (const auto& [m, v] : ScanMarkers(store, crash::kAbandonedPrefix)) s.abandoned.insert(m);
  return s;
}

// Every committed message is in exactly one place; every acknowledged settlement holds.
void VerifyPlacement(const Snapshot& s, const std::set<std::string>& committed,
                     const Model& model) {
  for (const auto& m : committed) {
    int places = static_cast<int>(s.queued.count(m) + s.dead_lettered.count(m) + s.acked.count(m));
    EXPECT_EQ(places, 1) << "message " << m << " queued=" << s.queued.count(m)
                         << " dead-lettered=" << s.dead_lettered.count(m)
                         << " acked=" << s.acked.count(m);
  }
  EXPECT_EQ(s.queued.size() + s.dead_lettered.size() + s.acked.size(), committed.size())
      << "messages or markers of batches that did not commit";
  for (const auto& m : model.dequeued) {
    EXPECT_EQ(s.acked.count(m), 1u) << "acknowledged ack of " << m << " was lost";
  }
  for (const auto& [m, times] : model.uncounted_abandons) {
    EXPECT_EQ(times, 1u) << m << " abandoned uncounted " << times << " times";
    EXPECT_EQ(s.abandoned.count(m), 1u) << "acknowledged uncounted abandon of " << m << " lost";
  }
  for (const auto& m : s.abandoned) {
    EXPECT_EQ(crash::PolicyOf(m), Policy::kAbandonUncountedOnce) << m;
    EXPECT_EQ(committed.count(m), 1u) << "abandon marker of uncommitted " << m;
  }
}

// The most counted abandons a message of `policy` can have, and the lowest delivery count
// at which the consumer acks it (0: never acked).
uint32_t MaxCountedAbandons(Policy p) {
  return p == Policy::kAlwaysAbandon        ? crash::kMaxDeliveries
         : p == Policy::kAbandonCountedOnce ? 1
                                            : 0;
}
uint32_t MinAckedCount(Policy p) {
  return p == Policy::kAlwaysAbandon ? 0 : p == Policy::kAbandonCountedOnce ? 2 : 1;
}

struct CountFindings {
  uint64_t unexplained = 0;  // delivery-count increments owed to kills (see file comment)
  size_t dead_by_kills = 0;  // dead-lettered messages of a class that never would be alone
};

// Checks each message's delivery count against its policy and acknowledged abandons.
CountFindings VerifyDeliveryCounts(const Snapshot& s, const Model& model) {
  CountFindings f;
  auto counted = [&model](const std::string& m) -> uint32_t {
    auto it = model.counted_abandons.find(m);
    return it == model.counted_abandons.end() ? 0 : it->second;
  };
  for (const auto& [m, n] : model.counted_abandons) {
    EXPECT_LE(n, MaxCountedAbandons(crash::PolicyOf(m))) << m << " abandoned counted " << n;
  }
  auto check = [&](const std::string& m, uint32_t count, uint32_t settled, const char* where) {
    EXPECT_LE(count, crash::kMaxDeliveries) << m << " in " << where;
    // A lower bound: kills while leased can only add.
    EXPECT_GE(count, settled) << m << " in " << where << ": delivery count " << count
                              << " below its " << counted(m) << " acknowledged counted abandons";
    if (count > settled) f.unexplained += count - settled;
  };
  for (const auto& [m, msg] : s.queued) check(m, msg.delivery_count, counted(m), "crash");
  for (const auto& [m, msg] : s.dead_lettered) {
    EXPECT_EQ(msg.delivery_count, crash::kMaxDeliveries) << m << " dead-lettered";
    EXPECT_EQ(AttributeOf(msg, "dead-letter-from"), crash::kQueue) << m;
    EXPECT_NE(AttributeOf(msg, "dead-letter-reason"), "<absent>") << m;
    check(m, msg.delivery_count, counted(m), "crash-dlq");
    if (crash::PolicyOf(m) != Policy::kAlwaysAbandon) ++f.dead_by_kills;
  }
  for (const auto& [m, value] : s.acked) {
    const uint32_t count = static_cast<uint32_t>(std::stoul(value));
    const Policy p = crash::PolicyOf(m);
    EXPECT_NE(p, Policy::kAlwaysAbandon) << m << " of an always-abandoned class was acked";
    EXPECT_GE(count, MinAckedCount(p)) << m << " acked at delivery " << count;
    if (p == Policy::kAbandonUncountedOnce) {
      EXPECT_EQ(s.abandoned.count(m), 1u) << m << " acked before its uncounted abandon";
    }
    check(m, count, counted(m) + 1, "the acked markers");  // +1: the acked delivery itself
  }
  EXPECT_LE(f.unexplained, crash::kConsumers * model.kills)
      << "more delivery-count increments than kills while leased can explain";
  return f;
}

// The queues' counters agree with what PeekMessages listed. No lease exists in this
// process, and nothing removes a message from "crash-dlq", so the dead-lettered counter
// of "crash" (bumped in the transaction that moves a message) equals its size.
void VerifyCounters(Store& store, const Snapshot& s) {
  auto options = queue::GetQueueOptions(store, crash::kQueue);
  if (options.ok()) {
    EXPECT_EQ(options->max_deliveries, crash::kMaxDeliveries);
    EXPECT_EQ(options->dead_letter_queue, crash::kDeadLetterQueue);
  }
  auto c = queue::GetCounters(store, crash::kQueue);
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), Code::kNotFound) << c.status().ToString();
    EXPECT_TRUE(s.queued.empty() && s.dead_lettered.empty()) << "messages of a missing queue";
  } else {
    EXPECT_EQ(c->leased, 0u);
    EXPECT_EQ(c->ready + c->delayed + c->leased, s.queued.size());
    EXPECT_EQ(c->dead_lettered, s.dead_lettered.size());
  }
  auto d = queue::GetCounters(store, crash::kDeadLetterQueue);
  if (!d.ok()) {
    EXPECT_EQ(d.status().code(), Code::kNotFound) << d.status().ToString();
    EXPECT_TRUE(s.dead_lettered.empty()) << "the dead-letter queue has messages but no record";
  } else {
    EXPECT_EQ(d->leased, 0u);
    EXPECT_EQ(d->ready + d->delayed + d->leased, s.dead_lettered.size());
    EXPECT_EQ(d->dead_lettered, 0u);
  }
}

struct Findings {
  uint64_t batches = 0;
  size_t dead_lettered = 0;
  CountFindings counts;
};

// Reopens the store and checks it against everything acknowledged so far.
Findings Verify(const std::string& dir, const Model& model) {
  Findings f;
  auto opened = Store::Open(dir);
  EXPECT_TRUE(opened.ok()) << "store does not reopen after kill: " << opened.status().ToString();
  if (!opened.ok()) return f;
  Store& store = **opened;
  std::set<std::string> committed;
  f.batches = VerifyStreams(store, model, committed);
  Snapshot s = ReadSnapshot(store);
  VerifyPlacement(s, committed, model);
  f.counts = VerifyDeliveryCounts(s, model);
  VerifyCounters(store, s);
  f.dead_lettered = s.dead_lettered.size();
  EXPECT_OK(store.Close());
  return f;
}

size_t Total(const std::map<std::string, uint32_t>& per_message) {
  size_t n = 0;
  for (const auto& [m, times] : per_message) n += times;
  return n;
}

TEST(CrashTest, EveryAcknowledgedCommitSurvivesSigkill) {
  const char* child = std::getenv("DURASTORE_CRASH_CHILD");
  ASSERT_NE(child, nullptr) << "DURASTORE_CRASH_CHILD must name the crash_child binary";
  const uint64_t rounds = EnvOr("DURASTORE_CRASH_ROUNDS", 25);
  const uint64_t seed = testing::SeedFrom("DURASTORE_CRASH_SEED");
  std::printf("crash test: %llu rounds, seed %llu (DURASTORE_CRASH_SEED to replay)\n",
              static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  testing::TempDir dir;
  const std::string store_dir = dir.Sub("store");
  Model model;
  Findings found;
  // At least `rounds` kills, and more (up to 8x) until every settlement path ran: a slow
  // build (sanitizers, a loaded machine) does less per round.
  auto exercised = [&model, &found] {
    return !model.counted_abandons.empty() && !model.uncounted_abandons.empty() &&
           !model.dequeued.empty() && found.dead_lettered > 0;
  };
  for (uint64_t round = 0;
       (round < rounds || (!exercised() && round < 8 * rounds)) && !HasFailure(); ++round) {
    int run_ms = 30 + static_cast<int>(rng() % 300);
    std::string err = RunAndKill(child, store_dir, run_ms, model);
    EXPECT_EQ(err.find("ERR"), std::string::npos) << err;
    found = Verify(store_dir, model);
    if ((round + 1) % 50 == 0) {  // progress on long runs (stderr: unbuffered)
      std::fprintf(stderr, "crash test: %llu/%llu kills, %llu acknowledged commits so far\n",
                   static_cast<unsigned long long>(round + 1),
                   static_cast<unsigned long long>(rounds),
                   static_cast<unsigned long long>(model.acked_commits));
    }
    if (HasFailure())
      std::printf("crash test: failed after kill %llu\n",
                  static_cast<unsigned long long>(round + 1));
  }
  const size_t counted = Total(model.counted_abandons);
  const size_t uncounted = Total(model.uncounted_abandons);
  std::printf(
      "crash test: %llu kills, %llu acknowledged commits, %llu committed batches verified, "
      "%zu acknowledged dequeue-acks verified, %zu/%zu acknowledged abandons "
      "(counted/uncounted) verified, %zu messages dead-lettered (%zu through kills while "
      "leased), %llu delivery-count increments owed to kills\n",
      static_cast<unsigned long long>(model.kills),
      static_cast<unsigned long long>(model.acked_commits),
      static_cast<unsigned long long>(found.batches), model.dequeued.size(), counted, uncounted,
      found.dead_lettered, found.counts.dead_by_kills,
      static_cast<unsigned long long>(found.counts.unexplained));
  // The test must be able to fail when the workload exercised nothing.
  EXPECT_GT(model.acked_commits, rounds) << "the child acknowledged almost nothing";
  EXPECT_FALSE(model.dequeued.empty()) << "the consumers never acknowledged an ack";
  EXPECT_GT(counted, 0u) << "no counted abandon was acknowledged";
  EXPECT_GT(uncounted, 0u) << "no uncounted abandon was acknowledged";
  EXPECT_GT(found.dead_lettered, 0u) << "no message reached the dead-letter queue";
}

}  // namespace
}  // namespace durastore
