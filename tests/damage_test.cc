// Damaged data.mdb: every stored record carries a checksum, so a damaged record reads as
// Corruption naming its table and key, and a partition read that ends short of what its
// partition record says is Corruption, never a short OK.
//
// The random trials flip bytes of a closed store's data pages and read everything back in
// a forked child (LMDB itself may crash on a damaged B-tree page; the child's death is
// counted, not fatal). The claim checked: no read returns wrong data with OK.
// DURASTORE_DAMAGE_TRIALS sets the number of trials (default 60).
#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "test_util.h"

namespace durastore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

constexpr int kStreams = 4;
constexpr int kEvents = 50;  // per stream
constexpr int kKeys = 100;
constexpr int kMessages = 40;

std::string MetaValue(int i) { return "meta-value-" + std::to_string(i) + std::string(40, 'm'); }
std::string EventPayload(int s, int e) {
  return "event-" + std::to_string(s) + "-" + std::to_string(e) + std::string(60, 'e');
}
std::string MessagePayload(int i) { return "message-" + std::to_string(i) + std::string(50, 'q'); }

void Populate(const std::string& path) {
  auto store = OpenOrDie(path);
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_OK(store->Commit(Batch().Put("key" + std::to_string(i), MetaValue(i))));
  }
  for (int s = 0; s < kStreams; ++s) {
    for (int e = 0; e < kEvents; e += 10) {
      Batch b;
      for (int j = e; j < e + 10; ++j)
        b.Append("stream" + std::to_string(s), 0, EventPayload(s, j));
      ASSERT_OK(store->Commit(std::move(b)));
    }
  }
  queue::EnqueueOptions o;
  o.attributes = {{"kind", "test"}};
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_OK(store->Commit(Batch().Enqueue("q", MessagePayload(i), o)));
  }
  // What the walk has to follow besides: event keys, a truncated partition, groups,
  // delays (they live in other tables and indexes than the data read back above).
  std::vector<eventlog::EventData> keyed;
  for (int i = 0; i < 6; ++i)
    keyed.push_back({"keyed-" + std::to_string(i), "k" + std::to_string(i)});
  ASSERT_OK(
      store->Commit(Batch().Append("keyed", 1, std::move(keyed)).TruncateBefore("keyed", 1, 3)));
  queue::EnqueueOptions grouped;
  grouped.group_key = "g";
  grouped.delay_ms = 60'000;
  ASSERT_OK(store->Commit(Batch().Enqueue("other", "grouped", grouped)));
  ASSERT_OK(store->Close());
}

enum Outcome {
  kAllCorrect = 0,
  kErrorReported = 1,
  kWrongDataWithOk = 2,
  kOpenFailed = 3,
  // A scan returned fewer records than stored, every one of them right: a damaged B-tree
  // branch page steered LMDB past some. Checksums cannot see it (no record is damaged);
  // partition reads cross-check their record, other scans have nothing to check against,
  // and Store::Verify finds it.
  kIncomplete = 4,
};

// Reads everything Populate wrote. Wrong data with OK is the one outcome never allowed.
Outcome ReadEverything(const std::string& path, std::string* first_problem) {
  auto opened = Store::Open(path);
  if (!opened.ok()) {
    *first_problem = opened.status().ToString();
    return kOpenFailed;
  }
  Store& store = **opened;
  Outcome outcome = kAllCorrect;
  auto error = [&](const Status& s) {
    if (first_problem->empty()) *first_problem = s.ToString();
    if (outcome == kAllCorrect) outcome = kErrorReported;
  };
  auto wrong = [&](const std::string& what) {
    *first_problem = "WRONG DATA WITH OK: " + what;
    outcome = kWrongDataWithOk;
  };
  auto incomplete = [&](const std::string& what) {
    if (outcome == kWrongDataWithOk) return;
    *first_problem = what;
    outcome = kIncomplete;
  };
  for (int i = 0; i < kKeys && outcome != kWrongDataWithOk; ++i) {
    auto v = store.Get("key" + std::to_string(i));
    if (!v.ok()) {
      error(v.status());
    } else if (*v != MetaValue(i)) {
      wrong("key" + std::to_string(i));
    }
  }
  auto scan = store.Scan("key", 1000);
  if (!scan.ok()) {
    error(scan.status());
  } else if (scan->size() < kKeys) {
    incomplete("metadata scan returned " + std::to_string(scan->size()) + " keys");
  } else if (scan->size() > kKeys) {
    wrong("metadata scan returned " + std::to_string(scan->size()) + " keys");
  } else {
    for (int i = 0; i < kKeys; ++i) {
      // Scan order is byte order: key0, key1, key10, ...; compare by name.
      const auto& [key, value] = (*scan)[i];
      if (value != MetaValue(std::atoi(key.c_str() + 3))) wrong("metadata scan " + key);
    }
  }
  for (int s = 0; s < kStreams && outcome != kWrongDataWithOk; ++s) {
    eventlog::ReadOptions all;
    all.max_count = 1000;
    auto page = eventlog::ReadPartition(store, "stream" + std::to_string(s), 0, all);
    if (!page.ok()) {
      error(page.status());
      continue;
    }
    if (page->events.size() != kEvents) {
      wrong("stream" + std::to_string(s) + " returned " + std::to_string(page->events.size()) +
            " events");
      break;
    }
    for (int e = 0; e < kEvents; ++e) {
      if (page->events[e].payload != EventPayload(s, e) || page->events[e].sequence != e + 1u) {
        wrong("stream" + std::to_string(s) + " event " + std::to_string(e + 1));
        break;
      }
    }
  }
  auto messages = queue::PeekMessages(store, "q", "kind", "test");
  if (!messages.ok()) {
    error(messages.status());
  } else {
    for (const queue::Message& m : *messages) {
      // Ids count from 1 in enqueue order.
      if (m.id == 0 || m.id > kMessages ||
          m.payload != MessagePayload(static_cast<int>(m.id) - 1)) {
        wrong("message " + std::to_string(m.id));
      }
    }
    if (messages->size() < kMessages) {
      incomplete("queue peek returned " + std::to_string(messages->size()) + " messages");
    }
  }
  return outcome;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Flips one byte inside every stored copy of `needle` (LMDB leaves stale copies in free
// pages; damaging only one of them might hit a stale one). Returns how many were found.
int DamageEvery(const std::string& data_path, const std::string& needle, size_t at) {
  std::string data = ReadFile(data_path);
  int found = 0;
  for (size_t pos = data.find(needle); pos != std::string::npos; pos = data.find(needle, pos + 1)) {
    data[pos + at] ^= 0x20;
    ++found;
  }
  WriteFile(data_path, data);
  return found;
}

TEST(DamageTest, ADamagedMetadataValueIsCorruptionNamingTableAndKey) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_GT(DamageEvery(dir.Sub("data.mdb"), MetaValue(7), 3), 0);
  auto store = OpenOrDie(dir.path());
  auto v = store->Get("key7");
  EXPECT_EQ(v.status().code(), Code::kCorruption) << v.status().ToString();
  EXPECT_NE(v.status().message().find("'meta'"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("key7"), std::string::npos) << v.status().message();
  EXPECT_EQ(store->Get("key8").value(), MetaValue(8));  // the rest reads as before
  EXPECT_EQ(store->Scan("key").status().code(), Code::kCorruption);
}

TEST(DamageTest, ADamagedEventIsCorruptionNotAShortPage) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_GT(DamageEvery(dir.Sub("data.mdb"), EventPayload(2, 30), 20), 0);
  auto store = OpenOrDie(dir.path());
  auto page = eventlog::ReadPartition(*store, "stream2", 0);
  EXPECT_EQ(page.status().code(), Code::kCorruption) << page.status().ToString();
  EXPECT_NE(page.status().message().find("'events'"), std::string::npos) << page.status().message();
  auto tail = eventlog::ReadAfter(*store, 0, eventlog::TailOptions{});
  EXPECT_EQ(tail.status().code(), Code::kCorruption) << tail.status().ToString();
  EXPECT_TRUE(eventlog::ReadPartition(*store, "stream1", 0).ok());
}

TEST(DamageTest, ADamagedQueuePayloadIsCorruption) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_GT(DamageEvery(dir.Sub("data.mdb"), MessagePayload(5), 9), 0);
  auto store = OpenOrDie(dir.path());
  auto peek = queue::PeekMessages(*store, "q", "kind", "test");
  EXPECT_EQ(peek.status().code(), Code::kCorruption) << peek.status().ToString();
  EXPECT_NE(peek.status().message().find("'q_payloads'"), std::string::npos)
      << peek.status().message();
}

// Deletes the record under the cursor position `op` of table `table` with LMDB itself
// (the store closed), as a lost B-tree page would: the checksums of what remains match.
void DeleteRaw(const std::string& dir, const char* table, MDB_cursor_op op) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 32), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  ASSERT_EQ(mdb_dbi_open(txn, table, 0, &dbi), 0);
  MDB_cursor* cur = nullptr;
  ASSERT_EQ(mdb_cursor_open(txn, dbi, &cur), 0);
  MDB_val k, v;
  ASSERT_EQ(mdb_cursor_get(cur, &k, &v, op), 0);
  ASSERT_EQ(mdb_cursor_del(cur, 0), 0);
  mdb_cursor_close(cur);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(DamageTest, APartitionReadThatEndsShortOfItsRecordIsCorruption) {
  TempDir dir;
  Populate(dir.path());
  DeleteRaw(dir.path(), "events", MDB_LAST);  // the newest stream's last event: keyed/1 #6
  auto store = OpenOrDie(dir.path());
  auto page = eventlog::ReadPartition(*store, "keyed", 1);
  EXPECT_EQ(page.status().code(), Code::kCorruption) << page.status().ToString();
  EXPECT_NE(page.status().message().find("event 6 is missing"), std::string::npos)
      << page.status().message();
  eventlog::ReadOptions backward;
  backward.backward = true;
  EXPECT_EQ(eventlog::ReadPartition(*store, "keyed", 1, backward).status().code(),
            Code::kCorruption);
  backward.from_sequence = 5;  // a read that does not need event 6 still works
  auto rest = eventlog::ReadPartition(*store, "keyed", 1, backward);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->events.size(), 3u);  // 5, 4, 3 (1 and 2 were truncated)
}

TEST(DamageTest, AGapInAPartitionIsCorruption) {
  TempDir dir;
  Populate(dir.path());
  DeleteRaw(dir.path(), "events", MDB_FIRST);  // stream0's event 1
  auto store = OpenOrDie(dir.path());
  auto page = eventlog::ReadPartition(*store, "stream0", 0);
  EXPECT_EQ(page.status().code(), Code::kCorruption) << page.status().ToString();
  EXPECT_NE(page.status().message().find("found event 2 where event 1 should be"),
            std::string::npos)
      << page.status().message();
}

// Verify's report for the store in `dir`, opened read-only.
VerifyReport VerifyStore(const std::string& dir) {
  Options read_only;
  read_only.read_only = true;
  auto store = Store::Open(dir, read_only);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return {};
  auto report = (*store)->Verify();
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : VerifyReport{};
}

// True when some problem mentions every one of `words`.
bool Reports(const VerifyReport& r, std::initializer_list<std::string_view> words) {
  for (const std::string& p : r.problems) {
    bool all = true;
    for (std::string_view w : words) all &= p.find(w) != std::string::npos;
    if (all) return true;
  }
  return false;
}

std::string Problems(const VerifyReport& r) {
  std::string out;
  for (const std::string& p : r.problems) out += p + "\n";
  return out;
}

TEST(VerifyTest, AHealthyStoreHasNoProblems) {
  TempDir dir;
  Populate(dir.path());
  std::vector<std::string> tables;
  Options read_only;
  read_only.read_only = true;
  auto store = OpenOrDie(dir.path(), read_only);
  VerifyOptions options;
  options.progress = [&](std::string_view table, uint64_t records) {
    if (records == 0) tables.emplace_back(table);
  };
  auto report = store->Verify(options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << Problems(*report);
  // At least every key, event and its position, message with payload and two indexes.
  EXPECT_GT(report->records, uint64_t{kKeys + 2 * kStreams * kEvents + 4 * kMessages});
  EXPECT_NE(std::find(tables.begin(), tables.end(), "q_attrs"), tables.end());
}

TEST(VerifyTest, FindsADamagedRecordByTableAndKey) {
  TempDir dir;
  Populate(dir.path());
  ASSERT_GT(DamageEvery(dir.Sub("data.mdb"), MessagePayload(5), 9), 0);
  auto report = VerifyStore(dir.path());
  EXPECT_TRUE(Reports(report, {"'q_payloads'", "checksum mismatch"})) << Problems(report);
}

TEST(VerifyTest, FindsEveryKindOfMissingIndexEntry) {
  struct Case {
    const char* table;
    MDB_cursor_op which;
    std::vector<std::string_view> expect;
  };
  const Case cases[] = {
      {"events", MDB_FIRST, {"'partitions'", "the events table holds"}},
      {"positions", MDB_FIRST, {"'events'", "does not point back"}},
      {"event_keys", MDB_FIRST, {"'events'", "event_keys"}},
      {"stream_keys", MDB_FIRST, {"'streams'", "stream_keys"}},
      {"q_ready", MDB_FIRST, {"'q_msgs'", "no q_ready entry"}},
      {"q_payloads", MDB_FIRST, {"'q_msgs'", "no payload"}},
      {"q_attrs", MDB_FIRST, {"'q_msgs'", "no q_attrs entry"}},
      {"q_groups", MDB_FIRST, {"'q_msgs'", "no q_groups entry"}},
      {"q_msgs", MDB_FIRST, {"'q_payloads'", "no message"}},
      {"partitions", MDB_FIRST, {"'events'", "no partition record"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.table);
    TempDir dir;
    Populate(dir.path());
    DeleteRaw(dir.path(), c.table, c.which);
    auto report = VerifyStore(dir.path());
    bool found = false;
    for (const std::string& p : report.problems) {
      bool all = true;
      for (std::string_view w : c.expect) all &= p.find(w) != std::string::npos;
      found |= all;
    }
    EXPECT_TRUE(found) << Problems(report);
  }
}

// Salvage: LMDB refuses a store with one damaged meta page although the other page and
// the data are intact; Open rewrites them from the copy CHECKPOINT keeps.
TEST(SalvageTest, ADamagedMetaPageIsRewrittenFromTheCheckpoint) {
  struct Case {
    const char* name;
    void (*damage)(std::string& data);
  };
  const Case cases[] = {
      {"meta page 0 zeroed", [](std::string& d) { std::fill_n(d.begin(), 4096, '\0'); }},
      {"meta page 1 zeroed", [](std::string& d) { std::fill_n(d.begin() + 4096, 4096, '\0'); }},
      // A byte of the main table's record in both pages: the newer one no longer matches
      // the checkpoint's copy of its transaction, though its magic is intact.
      {"a byte of both meta pages",
       [](std::string& d) {
         d[16 + 24 + 48 + 40] ^= 0x01;
         d[4096 + 16 + 24 + 48 + 40] ^= 0x01;
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    Populate(dir.path());
    std::string data = ReadFile(dir.Sub("data.mdb"));
    c.damage(data);
    WriteFile(dir.Sub("data.mdb"), data);
    Options read_only;
    read_only.read_only = true;
    auto reader = Store::Open(dir.path(), read_only);  // never writes: says what to do
    EXPECT_EQ(reader.status().code(), Code::kCorruption) << reader.status().ToString();
    EXPECT_NE(reader.status().message().find("meta page"), std::string::npos);
    {
      auto store = OpenOrDie(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_EQ(store->repairs().size(), 1u);
      EXPECT_NE(store->repairs()[0].find("meta page"), std::string::npos) << store->repairs()[0];
    }
    std::string problem;
    EXPECT_EQ(ReadEverything(dir.path(), &problem), kAllCorrect) << problem;
    EXPECT_TRUE(VerifyStore(dir.path()).ok());
    EXPECT_TRUE(OpenOrDie(dir.path())->repairs().empty());  // repaired once, for good
  }
}

TEST(DamageTest, RandomByteFlipsNeverReturnWrongDataAsOk) {
  const char* env = std::getenv("DURASTORE_DAMAGE_TRIALS");
  const int trials = env != nullptr ? std::atoi(env) : 60;
  TempDir dir;
  const std::string pristine = dir.Sub("pristine");
  Populate(pristine);
  // A compact copy holds live pages only, so every flip lands in something the store uses
  // (the original file also holds the pages its checkpoints kept free).
  const std::string compact = dir.Sub("compact");
  std::filesystem::create_directory(compact);
  {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 32), 0);
    ASSERT_EQ(mdb_env_open(env, pristine.c_str(), MDB_RDONLY, 0644), 0);
    ASSERT_EQ(mdb_env_copy2(env, compact.c_str(), MDB_CP_COMPACT), 0);
    mdb_env_close(env);
  }
  const std::string image = ReadFile(compact + "/data.mdb");
  const std::string checkpoint = ReadFile(pristine + "/CHECKPOINT");
  WriteFile(compact + "/CHECKPOINT", checkpoint);
  std::string problem;
  ASSERT_EQ(ReadEverything(compact, &problem), kAllCorrect) << problem;
  ASSERT_GT(image.size(), 4 * 4096u);
  std::mt19937_64 rng(20261201);
  int counts[5] = {0, 0, 0, 0, 0};
  int crashed = 0, verify_found = 0, verify_crashed = 0;
  std::vector<std::string> wrong, missed;
  for (int t = 0; t < trials; ++t) {
    const std::string path = dir.Sub("trial" + std::to_string(t));
    std::filesystem::create_directory(path);
    std::string damaged = image;
    // 1 to 16 bytes, in the data pages (pages 0 and 1 are LMDB's meta pages).
    const int flips = 1 + static_cast<int>(rng() % 16);
    for (int f = 0; f < flips; ++f) {
      size_t at = 2 * 4096 + rng() % (image.size() - 2 * 4096);
      damaged[at] = static_cast<char>(damaged[at] ^ (1 + rng() % 255));
    }
    WriteFile(path + "/data.mdb", damaged);
    WriteFile(path + "/CHECKPOINT", checkpoint);
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(pipefd[0]);
      std::string problem;
      Outcome o = ReadEverything(path, &problem);
      // Then the walk (after the reads: a crash in it must not hide their outcome).
      std::string msg = std::to_string(static_cast<int>(o));
      (void)!write(pipefd[1], msg.data(), msg.size());
      auto store = Store::Open(path);
      auto report = store.ok() ? (*store)->Verify() : Result<VerifyReport>(store.status());
      msg = report.ok() ? (report->ok() ? "-" : "+") : "!";
      msg += problem;
      (void)!write(pipefd[1], msg.data(), msg.size());
      _exit(0);
    }
    close(pipefd[1]);
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof(buf))) > 0;) msg.append(buf, n);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (msg.empty()) {
      ++crashed;
    } else {
      int o = msg[0] - '0';
      ++counts[o];
      if (o == kWrongDataWithOk)
        wrong.push_back("trial " + std::to_string(t) + ": " + msg.substr(2));
      // What the walk made of the same damage: '+' problems, '-' none, '!' could not run,
      // nothing: it crashed.
      const char verdict = msg.size() > 1 ? msg[1] : 'x';
      if (verdict == '+') ++verify_found;
      if (verdict == 'x') ++verify_crashed;
      if (o != kAllCorrect && o != kOpenFailed && verdict == '-') {
        missed.push_back("trial " + std::to_string(t) + ": reads saw " + msg.substr(2));
      }
    }
    std::filesystem::remove_all(path);
  }
  std::printf(
      "damage trials: %d; all reads correct: %d, damage reported by a read: %d, open refused: "
      "%d, reader crashed (in LMDB): %d, a scan came back incomplete: %d, WRONG DATA WITH OK: "
      "%d\n",
      trials, counts[kAllCorrect], counts[kErrorReported], counts[kOpenFailed], crashed,
      counts[kIncomplete], counts[kWrongDataWithOk]);
  std::printf("verify (after the reads): found problems in %d, crashed in %d\n", verify_found,
              verify_crashed);
  for (const std::string& w : wrong) ADD_FAILURE() << w;
  // Whatever damage a read noticed, the walk (which reads everything) notices too.
  for (const std::string& m : missed) ADD_FAILURE() << "verify found nothing; " << m;
}

}  // namespace
}  // namespace durastore
