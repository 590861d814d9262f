// The event log's write path is declared in engine/src/apply.h (ApplyAppend,
// ApplyTruncate, ApplyDeletePartition, ApplyDeleteStream), through which the committer
// reaches it; eventlog.cc defines it.
#ifndef DURASTORE_EVENTLOG_INTERNAL_H_
#define DURASTORE_EVENTLOG_INTERNAL_H_

#include "apply.h"

#endif  // DURASTORE_EVENTLOG_INTERNAL_H_
