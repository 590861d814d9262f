/* durastore C API, all of it: the engine (store, batches, metadata), the event log, queues
 * and the Duroxide orchestration layer (Provider, Admin) for callers in C and, through C, in
 * other languages (Rust first). Each part has a header of its own next to what it binds;
 * this one includes them all, so a caller may include only what it uses. The contract
 * (errors, bytes in and out, handles, blocking, clock, limits) is at the top of
 * durastore/c_store.h; reference: docs/c-api.md. */
#ifndef DURASTORE_C_H_
#define DURASTORE_C_H_

#include "durastore/c_eventlog.h"      /* eventlog/include */
#include "durastore/c_orchestration.h" /* orchestration-layer/include */
#include "durastore/c_queue.h"         /* queue/include */
#include "durastore/c_store.h"         /* engine/include */

#endif /* DURASTORE_C_H_ */
