// The `queue` workload: producers enqueue messages, consumers dequeue and ack them. One op
// = one message consumed end to end; its latency runs from the producer's intended send
// time (closed loop: the moment it started the enqueue) to the commit of its ack, so it
// includes any --delay-ms and the time spent waiting in the queue.
//
// With `batch` N > 1 a producer enqueues N messages (one send time) in one commit, and a
// consumer leases up to N under one lease and acks them in one commit; every message is
// still counted on its own, so throughput stays messages/s.
//
// Producers wait while `max_depth` messages are in flight (enqueued, not yet acked), so a
// closed-loop run keeps the queue full without growing it forever; in a closed loop the
// end-to-end latency is therefore about max_depth / throughput, and the consumer-side
// figure (dequeue + ack of one lease, `consume_us`) is the one that measures the engine.
//
// What each engine does per producer op and per consumer lease (N = batch):
//  - durastore: one Batch of N Batch::Enqueue (EnqueueOptions::delay_ms), one commit;
//    queue::Dequeue with max_messages = N (long poll, 100 ms; one write transaction), then
//    one Batch::Ack of the lease, its own commit.
//  - sqlite (WAL): a table queue(id, payload, visible_at, locked_until, delivery_count,
//    lock_token) and the same three transactions: N INSERTs; SELECT the oldest N visible,
//    unlocked rows + one UPDATE of the lock per row; one DELETE per row by id and lock
//    token. An empty poll sleeps 1 ms (SQLite has no commit notification to wait on).
#ifndef DURASTORE_BENCH_QUEUE_WORKLOAD_H_
#define DURASTORE_BENCH_QUEUE_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "durastore/store.h"
#include "histogram.h"
#include "run_loop.h"

namespace durastore::bench {

struct QueueShape {
  int producers = 1;
  int consumers = 1;
  size_t payload_bytes = 256;  // at least 8: the send time rides in the payload
  int64_t delay_ms = 0;        // every message becomes visible this long after its enqueue
  int max_depth = 1000;        // producers wait while this many messages are in flight
  int batch = 1;  // messages per producer commit and at most per consumer lease (<= max_depth)
  bool sync = true;
  FlushMethod flush = FlushMethod::kAuto;  // durastore only
};

struct QueueStats {
  Histogram consume_us;         // dequeue + ack of one lease (of up to `batch` messages),
                                // measured by the consumer
  uint64_t empty_dequeues = 0;  // dequeue attempts that found nothing (durastore: 100 ms
                                // long polls; sqlite: 1 ms polls)
};

// Shared by every producer and consumer of a run; thread-safe.
class QueueWorkload {
 public:
  virtual ~QueueWorkload() = default;
  // Starts the consumer threads; consumer c records each acked message in `recorder` slot
  // first_slot + c, and they all stop when recorder.stop() is set.
  virtual Status Start(Recorder& recorder, size_t first_slot) = 0;
  // Per-producer setup, on the producer's thread.
  virtual Status StartProducer(int producer) = 0;
  // Enqueues producer `producer`'s next `batch` messages in one commit, due at `intended`.
  // False = `stop` was set while waiting for room under max_depth.
  virtual Result<bool> Produce(int producer, Clock::time_point intended,
                               const std::atomic<bool>& stop) = 0;
  // Joins the consumers (after recorder.stop() is set); the first error one of them hit.
  virtual Status Stop() = 0;
  virtual bool Pipeline(PipelineStats* stats) const = 0;  // false for sqlite
  virtual QueueStats Stats() const = 0;                   // valid after Stop
};

// `engine` is "durastore" or "sqlite"; the store is created in `dir`.
Result<std::unique_ptr<QueueWorkload>> OpenQueueWorkload(const std::string& engine,
                                                         const std::string& dir,
                                                         const QueueShape& shape);
// The durastore queue workload over a store someone else opened (the `mixed` workload's);
// `store` must outlive it.
std::unique_ptr<QueueWorkload> NewDurastoreQueueWorkload(Store& store, const QueueShape& shape);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_QUEUE_WORKLOAD_H_
