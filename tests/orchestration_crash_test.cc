// Kill -9 crash test of the orchestration layer: orchestration_crash_child runs
// dispatchers and a worker over a few self-re-arming instances with kSync commits; this
// test SIGKILLs it at random moments, reopens the store and checks, after every kill:
//  - every acknowledged turn's events are in the history, which is gapless, made of whole
//    turns (pairs) with the right payloads, and matches the KV turn counter written by
//    the same ack (all-or-nothing);
//  - every instance is still armed (the ack that consumed its messages re-armed it);
//  - no acknowledged activity is still queued, and no queued activity belongs to a turn
//    that is not in the history.
//
// DURASTORE_CRASH_ROUNDS sets the number of kills (default 10; more, up to 8x, until turns
// and activities were acknowledged); DURASTORE_CRASH_SEED replays a run (the seed is
// printed).
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "kill_harness.h"
#include "orchestration_crash_workload.h"
#include "test_util.h"

namespace durastore {
namespace {

using orchestration::kOrchestratorQueue;
using orchestration::kWorkerQueue;

struct Acknowledged {
  std::map<std::string, uint64_t> last_event;  // instance -> highest acknowledged event id
  std::set<std::string> activities;            // payloads of acknowledged activity acks
};

void Parse(const std::string& out, Acknowledged& acked) {
  std::istringstream lines(out);
  std::string kind, value;
  while (lines >> kind >> value) {
    if (kind == "TURN") {
      uint64_t last = 0;
      lines >> last;
      acked.last_event[value] = std::max(acked.last_event[value], last);
    } else if (kind == "ACT") {
      acked.activities.insert(value);
    }
  }
}

// Checks one instance; returns its number of committed turns.
// `seeded`: the child finished starting every instance (before that, an instance may
// never have been armed).
uint64_t VerifyInstance(Store& store, orchestration::Provider& provider,
                        const std::string& instance, const Acknowledged& acked, bool seeded) {
  auto history = provider.Read(instance);
  EXPECT_OK(history);
  if (!history.ok()) return 0;
  const uint64_t n = history->size();
  for (uint64_t i = 0; i < n; ++i) {
    if ((*history)[i].event_id != i + 1 ||
        (*history)[i].payload != crash::EventPayload(instance, i + 1)) {
      ADD_FAILURE() << instance << ": event " << i + 1 << " is wrong or missing";
      return 0;
    }
  }
  EXPECT_EQ(n % 2, 0u) << instance << ": a turn was applied in part";
  auto a = acked.last_event.find(instance);
  if (a != acked.last_event.end()) {
    EXPECT_GE(n, a->second) << instance << ": acknowledged turn ending at event " << a->second
                            << " lost";
  }
  auto turns = provider.GetKvValue(instance, crash::kTurnsKey);
  EXPECT_OK(turns);
  if (turns.ok() && n > 0) {
    EXPECT_EQ(turns->value_or("none"), std::to_string(n / 2)) << instance;
  }
  auto armed = queue::PeekMessages(store, kOrchestratorQueue, "i", instance, 1);
  EXPECT_OK(armed);
  if (armed.ok() && seeded) {
    EXPECT_FALSE(armed->empty()) << instance << " is no longer armed";
  }
  auto work = queue::PeekMessages(store, kWorkerQueue, "i", instance);
  EXPECT_OK(work);
  if (work.ok()) {
    for (const auto& m : *work) {
      EXPECT_EQ(acked.activities.count(m.payload), 0u)
          << "acknowledged activity " << m.payload << " is still queued";
      uint64_t id = std::stoull(m.payload.substr(instance.size() + 1));
      EXPECT_LT(id, n) << "activity " << m.payload << " belongs to a turn that is not stored";
    }
  }
  return n / 2;
}

uint64_t Verify(const std::string& dir, const Acknowledged& acked) {
  auto store = Store::Open(dir);
  EXPECT_TRUE(store.ok()) << "store does not reopen after kill: " << store.status().ToString();
  if (!store.ok()) return 0;
  auto provider = orchestration::Provider::Open(**store);
  EXPECT_OK(provider);
  if (!provider.ok()) return 0;
  const bool seeded = (*store)->Get(crash::kSeededKey).ok();
  uint64_t turns = 0;
  for (int i = 0; i < crash::kInstances; ++i) {
    turns += VerifyInstance(**store, **provider, crash::Instance(i), acked, seeded);
  }
  return turns;
}

TEST(OrchestrationCrashTest, EveryAcknowledgedTurnAndActivitySurvivesSigkill) {
  const char* child = std::getenv("DURASTORE_ORCHESTRATION_CRASH_CHILD");
  ASSERT_NE(child, nullptr) << "DURASTORE_ORCHESTRATION_CRASH_CHILD must name the child binary";
  const uint64_t rounds = testing::EnvOr("DURASTORE_CRASH_ROUNDS", 10);
  const uint64_t seed = testing::SeedFrom("DURASTORE_CRASH_SEED");
  std::printf("orchestration crash test: %llu rounds, seed %llu (DURASTORE_CRASH_SEED to replay)\n",
              static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  const std::string store_dir = dir.Sub("store");
  Acknowledged acked;
  uint64_t stored_turns = 0, kills = 0;
  auto acked_turns = [&acked] {
    uint64_t n = 0;
    for (const auto& [instance, last] : acked.last_event) n += last / 2;
    return n;
  };
  // At least `rounds` kills, and more (up to 8x) until turns and activities were
  // acknowledged: a slow build (sanitizers, a loaded machine) does less per round.
  auto exercised = [&] { return acked_turns() > rounds && !acked.activities.empty(); };
  for (uint64_t round = 0;
       (round < rounds || (!exercised() && round < 8 * rounds)) && !HasFailure(); ++round) {
    ++kills;
    testing::KilledChild killed =
        testing::RunAndKill({child, store_dir}, 100 + static_cast<int>(rng() % 400));
    EXPECT_EQ(killed.err.find("ERR"), std::string::npos) << killed.err;
    Parse(killed.out, acked);
    stored_turns = Verify(store_dir, acked);
  }
  std::printf(
      "orchestration crash test: %llu kills, %llu turns stored (%llu acknowledged), %zu "
      "acknowledged activities verified\n",
      static_cast<unsigned long long>(kills), static_cast<unsigned long long>(stored_turns),
      static_cast<unsigned long long>(acked_turns()), acked.activities.size());
  // The test must be able to fail when nothing ever happens.
  EXPECT_GT(acked_turns(), rounds) << "the child acknowledged almost no turns";
  EXPECT_FALSE(acked.activities.empty()) << "the worker never acknowledged an activity";
}

}  // namespace
}  // namespace durastore
