// The `mixed` workload: every writer picks its next op at random by weight (seeded) among
// the kinds of the other workloads, all on ONE durastore store, so every kind's commits go
// through the same group-commit pipeline:
//
//  - commit:   one batch of the commit shape (engines.h) to the writer's own streams;
//  - queue:    one message enqueued by the writer, dequeued and acked by one of the
//              background consumers (--consumers); latency end to end, as in `queue`
//              (queue_workload.h), with the depth bounded by --max-depth;
//  - turn:     one orchestration turn (orchestration_workloads.h);
//  - activity: one activity fetched and acked with a completion.
//
// Turns and activities share the provider's queues, so they run as one Duroxide-shaped
// loop: the pre-filled activities (100 per writer) and the ones turns schedule are routed
// to the turn instances, whose turns take the completions in with their next message.
// An activity op that finds no work within one 100 ms poll picks again (when the mix does
// more activities than its turns schedule). Without turns, activities go to their own
// instances and a feeder dispatcher answers their completions, as in `activity`.
//
// Nothing the tool holds grows with the run: histograms are fixed-size, the queue's depth
// and the turn histories (continue-as-new) are bounded, instances are reused. The store's
// data (event streams, unconsumed scheduled activities) grows on disk.
#ifndef DURASTORE_BENCH_MIXED_WORKLOAD_H_
#define DURASTORE_BENCH_MIXED_WORKLOAD_H_

#include <string>

#include "bench_config.h"
#include "run_loop.h"

namespace durastore::bench {

// "commit=70,queue=10,turn=15,activity=5" (any subset; missing kinds weigh 0) into
// `weights`. False with `error` set for an unknown or repeated name, a weight that is not
// a finite number >= 0, or weights that are all 0.
bool ParseMix(const std::string& spec, MixWeights* weights, std::string* error);

// Runs `c` (workload "mixed", engine "durastore") in the empty directory `dir`; fills
// out.run, out.mix and out.queue.
Status RunMixed(const Config& c, const std::string& dir, const LoopOptions& loop, FlushMethod flush,
                Outcome& out);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_MIXED_WORKLOAD_H_
