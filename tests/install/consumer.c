/* A C consumer of the installed libdurastore (install_test.sh builds it with only
 * `pkg-config --cflags --libs durastore`): opens a store, commits one metadata write and
 * reads it back. Usage: consumer_c <store-dir>. Exit 0 on success. */
#include <durastore/c.h>
#include <stdio.h>
#include <string.h>

static int fail(const char* what, ds_error* err) {
  fprintf(stderr, "consumer_c: %s: %s\n", what, err ? ds_error_message(err) : "?");
  ds_error_free(err);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (ds_api_version() != DS_API_VERSION) {
    fprintf(stderr, "consumer_c: library API %u, header %u\n", (unsigned)ds_api_version(),
            (unsigned)DS_API_VERSION);
    return 1;
  }
  ds_error* err = NULL;
  ds_store* store = NULL;
  if (ds_store_open(argv[1], strlen(argv[1]), NULL, &store, &err) != DS_OK) {
    return fail("open", err);
  }
  ds_batch* batch = NULL;
  if (ds_batch_new(&batch, &err) != DS_OK) return fail("batch", err);
  if (ds_batch_put(batch, "greeting", 8, "hello from C", 12, &err) != DS_OK) {
    return fail("put", err);
  }
  if (ds_store_commit(store, batch, DS_DURABILITY_DEFAULT, NULL, &err) != DS_OK) {
    return fail("commit", err);
  }
  ds_batch_free(batch);
  char* value = NULL;
  size_t value_len = 0;
  if (ds_meta_get(store, "greeting", 8, &value, &value_len, &err) != DS_OK) {
    return fail("get", err);
  }
  int ok = value_len == 12 && memcmp(value, "hello from C", 12) == 0;
  printf("consumer_c: read back '%.*s'\n", (int)value_len, value);
  ds_free(value);
  if (ds_store_close(store, &err) != DS_OK) return fail("close", err);
  ds_store_free(store);
  return ok ? 0 : 1;
}
