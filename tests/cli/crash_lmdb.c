/* LD_PRELOAD interposer for the durastore command's tests: makes the process that walks
 * the store crash as LMDB can on a damaged B-tree page, without damaging one. With
 * DURASTORE_TEST_CRASH_AFTER=N in the environment, the (N+1)-th mdb_cursor_get raises
 * SIGSEGV; `durastore verify` must then report the crash of its child and exit 4. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <lmdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int mdb_cursor_get(MDB_cursor* cursor, MDB_val* key, MDB_val* data, MDB_cursor_op op) {
  static int (*real)(MDB_cursor*, MDB_val*, MDB_val*, MDB_cursor_op);
  static long calls;
  if (real == NULL) {
    void* sym = dlsym(RTLD_NEXT, "mdb_cursor_get");
    memcpy(&real, &sym, sizeof real); /* POSIX: a dlsym result converts to a function */
  }
  const char* after = getenv("DURASTORE_TEST_CRASH_AFTER");
  if (after != NULL && ++calls > atol(after)) raise(SIGSEGV);
  return real(cursor, key, data, op);
}
