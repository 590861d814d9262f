#include "queue_workload.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "durastore/batch.h"
#include "durastore/queue.h"
#include "sqlite_util.h"

namespace durastore::bench {
namespace {

constexpr const char* kQueue = "bench-queue";
constexpr int64_t kLockMs = 30'000;
using Rep = Clock::duration::rep;

// The depth window, the consumer threads and the figures; engines supply the three
// transactions.
class QueueBase : public QueueWorkload {
 public:
  explicit QueueBase(const QueueShape& shape)
      : shape_(shape), consume_(static_cast<size_t>(shape.consumers)) {}

  Status Start(Recorder& recorder, size_t first_slot) override {
    recorder_ = &recorder;
    for (int c = 0; c < shape_.consumers; ++c) {
      consumers_.emplace_back([this, c, first_slot] { ConsumerLoop(c, first_slot); });
    }
    return Status::OK();
  }

  Result<bool> Produce(int producer, Clock::time_point intended,
                       const std::atomic<bool>& stop) override {
    {
      // The whole batch must fit: batch <= max_depth (checked by the CLI) keeps this live.
      std::unique_lock<std::mutex> lock(mu_);
      while (in_flight_ + shape_.batch > shape_.max_depth) {
        if (stop.load()) return false;
        room_.wait_for(lock, std::chrono::milliseconds(100));
      }
      in_flight_ += shape_.batch;
    }
    std::string payload(std::max<size_t>(shape_.payload_bytes, sizeof(Rep)), 'q');
    Rep sent = intended.time_since_epoch().count();
    std::memcpy(payload.data(), &sent, sizeof(sent));
    Status s = Enqueue(producer, payload, static_cast<size_t>(shape_.batch));
    if (!s.ok()) return s;
    return true;
  }

  Status Stop() override {
    for (auto& t : consumers_) t.join();
    consumers_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  QueueStats Stats() const override {
    QueueStats stats;
    for (const auto& h : consume_) stats.consume_us.Merge(h);
    stats.empty_dequeues = empty_.load();
    return stats;
  }

 protected:
  virtual Status StartConsumer(int consumer) = 0;
  // Enqueues `count` copies of `payload` in one commit.
  virtual Status Enqueue(int producer, const std::string& payload, size_t count) = 0;
  // Dequeues up to shape_.batch messages under one lease and acks them all; their payloads
  // replace `payloads` (empty when none was visible).
  virtual Status ConsumeBatch(int consumer, std::vector<std::string>* payloads) = 0;

  const QueueShape shape_;

 private:
  void ConsumerLoop(int c, size_t first_slot) {
    Status s = StartConsumer(c);
    std::vector<std::string> payloads;
    Histogram& consume = consume_[static_cast<size_t>(c)];
    while (s.ok() && !recorder_->stop().load(std::memory_order_relaxed)) {
      auto t0 = Clock::now();
      s = ConsumeBatch(c, &payloads);
      if (!s.ok()) break;
      if (payloads.empty()) {
        ++empty_;
        continue;
      }
      auto done = Clock::now();
      if (recorder_->measuring()) consume.Record(MicrosBetween(t0, done));
      for (const std::string& payload : payloads) {  // every message is an op of its own
        Rep sent = 0;
        if (payload.size() >= sizeof(sent)) std::memcpy(&sent, payload.data(), sizeof(sent));
        recorder_->Record(first_slot + static_cast<size_t>(c),
                          Clock::time_point(Clock::duration(sent)), done);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_ -= static_cast<int>(payloads.size());
      }
      // A lease of several messages may make room for several producers' batches.
      if (payloads.size() > 1) {
        room_.notify_all();
      } else {
        room_.notify_one();
      }
    }
    if (s.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = s;
    recorder_->Stop(Clock::now());
  }

  Recorder* recorder_ = nullptr;
  std::mutex mu_;
  std::condition_variable room_;
  int in_flight_ = 0;  // guarded by mu_
  Status error_;       // guarded by mu_
  std::vector<Histogram> consume_;
  std::atomic<uint64_t> empty_{0};
  std::vector<std::thread> consumers_;
};

class DurastoreQueue final : public QueueBase {
 public:
  // `owned` is null when the store is borrowed.
  DurastoreQueue(const QueueShape& shape, std::unique_ptr<Store> owned, Store& store)
      : QueueBase(shape), owned_(std::move(owned)), store_(store) {}
  ~DurastoreQueue() override { (void)Stop(); }

  Status StartProducer(int) override { return Status::OK(); }
  bool Pipeline(PipelineStats* stats) const override {
    *stats = store_.GetPipelineStats();
    return true;
  }

 private:
  Status StartConsumer(int) override { return Status::OK(); }

  Status Enqueue(int, const std::string& payload, size_t count) override {
    queue::EnqueueOptions options;
    options.delay_ms = shape_.delay_ms;
    Batch batch;
    for (size_t i = 0; i < count; ++i) batch.Enqueue(kQueue, payload, options);
    return store_.Commit(std::move(batch)).status();
  }

  Status ConsumeBatch(int, std::vector<std::string>* payloads) override {
    payloads->clear();
    queue::DequeueOptions options;
    options.lock_duration_ms = kLockMs;
    options.wait = std::chrono::milliseconds(100);
    options.max_messages = static_cast<size_t>(shape_.batch);
    auto lease = queue::Dequeue(store_, kQueue, options);
    if (!lease.ok()) return lease.status();
    if (!lease->has_value()) return Status::OK();
    Batch batch;
    batch.Ack((*lease)->token);
    Status s = store_.Commit(std::move(batch)).status();
    if (!s.ok()) return s;
    for (queue::Message& m : (*lease)->messages) payloads->push_back(std::move(m.payload));
    return Status::OK();
  }

  std::unique_ptr<Store> owned_;
  Store& store_;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Serializes SQLite write transactions first come, first served. SQLite's busy handler
// sleeps and retries, so a producer that re-takes the write lock right after its commit
// starves the consumers (measured: 0 messages consumed in 1 s with 1 producer, 1
// consumer). A single-process application would queue its writers like this.
class FifoLock {
 public:
  void lock() {
    std::unique_lock<std::mutex> l(mu_);
    const uint64_t ticket = next_++;
    turn_.wait(l, [&] { return serving_ == ticket; });
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++serving_;
    }
    turn_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable turn_;
  uint64_t next_ = 0;     // guarded by mu_
  uint64_t serving_ = 0;  // guarded by mu_
};

// One connection per producer and per consumer, statements prepared once.
class SqliteQueue final : public QueueBase {
 public:
  SqliteQueue(const QueueShape& shape, std::string file)
      : QueueBase(shape),
        file_(std::move(file)),
        conns_(static_cast<size_t>(shape.producers + shape.consumers)) {}
  ~SqliteQueue() override {
    (void)Stop();
    for (auto& c : conns_) {
      for (sqlite3_stmt* s : {c.begin, c.insert, c.select, c.lock, c.del, c.commit}) {
        sqlite3_finalize(s);
      }
      if (c.db != nullptr) sqlite3_close(c.db);
    }
  }

  Status Init() {
    sqlite3* db = nullptr;
    Status s = sqlite::Open(file_, shape_.sync, &db);
    if (s.ok()) {
      s = sqlite::Exec(db,
                       "PRAGMA journal_mode=WAL;"
                       "CREATE TABLE IF NOT EXISTS queue(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                       " payload BLOB NOT NULL, visible_at INTEGER NOT NULL,"
                       " locked_until INTEGER NOT NULL DEFAULT 0,"
                       " delivery_count INTEGER NOT NULL DEFAULT 0, lock_token INTEGER);");
    }
    sqlite3_close(db);
    return s;
  }

  Status StartProducer(int producer) override { return Connect(static_cast<size_t>(producer)); }
  bool Pipeline(PipelineStats*) const override { return false; }

 private:
  struct Conn {
    sqlite3* db = nullptr;
    sqlite3_stmt *begin = nullptr, *insert = nullptr, *select = nullptr, *lock = nullptr,
                 *del = nullptr, *commit = nullptr;
    int64_t tokens = 0;
  };

  Status Connect(size_t i) {
    Conn& c = conns_[i];
    Status s = sqlite::Open(file_, shape_.sync, &c.db);
    const std::pair<const char*, sqlite3_stmt**> sql[] = {
        {"BEGIN IMMEDIATE", &c.begin},
        {"INSERT INTO queue(payload, visible_at) VALUES(?1, ?2)", &c.insert},
        {"SELECT id, payload FROM queue WHERE visible_at <= ?1 AND locked_until <= ?1"
         " ORDER BY id LIMIT ?2",
         &c.select},
        {"UPDATE queue SET locked_until = ?1, delivery_count = delivery_count + 1,"
         " lock_token = ?2 WHERE id = ?3",
         &c.lock},
        {"DELETE FROM queue WHERE id = ?1 AND lock_token = ?2", &c.del},
        {"COMMIT", &c.commit}};
    for (const auto& [text, stmt] : sql) {
      if (s.ok()) s = sqlite::Prepare(c.db, text, stmt);
    }
    return s;
  }

  Status StartConsumer(int consumer) override {
    return Connect(static_cast<size_t>(shape_.producers + consumer));
  }

  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back if it fails.
  template <typename Body>
  Status Transaction(Conn& c, Body body) {
    std::lock_guard<FifoLock> writer(write_lock_);
    if (sqlite::Step(c.begin) != SQLITE_DONE) return sqlite::Error(c.db, "begin");
    Status s = body();
    if (s.ok() && sqlite::Step(c.commit) != SQLITE_DONE) s = sqlite::Error(c.db, "commit");
    if (!s.ok()) (void)sqlite::Exec(c.db, "ROLLBACK");  // the first error is what counts
    return s;
  }

  Status Enqueue(int producer, const std::string& payload, size_t count) override {
    Conn& c = conns_[static_cast<size_t>(producer)];
    return Transaction(c, [&] {
      sqlite3_bind_blob(c.insert, 1, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(c.insert, 2, WallMs() + shape_.delay_ms);
      for (size_t i = 0; i < count; ++i) {
        if (sqlite::Step(c.insert) != SQLITE_DONE) return sqlite::Error(c.db, "insert");
      }
      return Status::OK();
    });
  }

  // Claims up to shape_.batch of the oldest visible, unlocked rows in one transaction and
  // deletes them in another (the lease and the ack of the durastore side).
  Status ConsumeBatch(int consumer, std::vector<std::string>* payloads) override {
    payloads->clear();
    Conn& c = conns_[static_cast<size_t>(shape_.producers + consumer)];
    const int64_t token = (int64_t{consumer} << 40) + ++c.tokens;
    std::vector<int64_t> ids;
    Status s = Transaction(c, [&] {
      const int64_t now = WallMs();
      sqlite3_bind_int64(c.select, 1, now);
      sqlite3_bind_int64(c.select, 2, shape_.batch);
      int rc;
      while ((rc = sqlite3_step(c.select)) == SQLITE_ROW) {
        ids.push_back(sqlite3_column_int64(c.select, 0));
        const auto* data = static_cast<const char*>(sqlite3_column_blob(c.select, 1));
        payloads->emplace_back(data != nullptr ? data : "",
                               static_cast<size_t>(sqlite3_column_bytes(c.select, 1)));
      }
      sqlite3_reset(c.select);
      if (rc != SQLITE_DONE) return sqlite::Error(c.db, "select");
      sqlite3_bind_int64(c.lock, 1, now + kLockMs);
      sqlite3_bind_int64(c.lock, 2, token);
      for (int64_t id : ids) {
        sqlite3_bind_int64(c.lock, 3, id);
        if (sqlite::Step(c.lock) != SQLITE_DONE) return sqlite::Error(c.db, "lock");
      }
      return Status::OK();
    });
    if (!s.ok() || ids.empty()) {
      payloads->clear();  // a failed claim delivered nothing
      if (s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return s;
    }
    s = Transaction(c, [&] {
      sqlite3_bind_int64(c.del, 2, token);
      for (int64_t id : ids) {
        sqlite3_bind_int64(c.del, 1, id);
        if (sqlite::Step(c.del) != SQLITE_DONE) return sqlite::Error(c.db, "ack");
        if (sqlite3_changes(c.db) != 1) return Status::IOError("sqlite ack: lock lost");
      }
      return Status::OK();
    });
    if (!s.ok()) payloads->clear();
    return s;
  }

  const std::string file_;
  std::vector<Conn> conns_;
  FifoLock write_lock_;
};

}  // namespace

Result<std::unique_ptr<QueueWorkload>> OpenQueueWorkload(const std::string& engine,
                                                         const std::string& dir,
                                                         const QueueShape& shape) {
  if (engine == "sqlite") {
    auto wl = std::make_unique<SqliteQueue>(shape, dir + "/bench.sqlite");
    Status s = wl->Init();
    if (!s.ok()) return s;
    return std::unique_ptr<QueueWorkload>(std::move(wl));
  }
  Options options;
  options.durability = shape.sync ? Durability::kSync : Durability::kNoSync;
  options.flush_method = shape.flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  Store& borrowed = **store;
  return std::unique_ptr<QueueWorkload>(
      std::make_unique<DurastoreQueue>(shape, std::move(store).value(), borrowed));
}

std::unique_ptr<QueueWorkload> NewDurastoreQueueWorkload(Store& store, const QueueShape& shape) {
  return std::make_unique<DurastoreQueue>(shape, nullptr, store);
}

}  // namespace durastore::bench
