// Fuzzes the C API entry points that take caller bytes (durastore/c.h): the ds_batch_*
// builders and ds_store_commit, metadata and event log reads, queue dequeue/peek, lease
// and lock tokens (real, stale, damaged and random), and the Provider and Admin calls that
// take instance ids, names, payloads and tokens. Pointers come as (NULL, 0), (p, 0), fuzzer
// bytes, or lengths at and just past each DS_MAX_*; enum fields may hold values outside
// their enum, as a C caller can pass. Every call must return a code of the enum other
// than DS_INTERNAL, and honour the error contract (err set iff the call failed, its code
// equal to the returned one); the store must stay healthy.
//
// One store per process on a manual clock; reopened empty when its file passes 256 MiB.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "durastore/c.h"
#include "fuzz_util.h"

namespace durastore::fuzz {
namespace {

std::atomic<int64_t> g_now{1'700'000'000'000};
int64_t NowMs(void*) { return g_now.load(std::memory_order_relaxed); }

struct Handles {
  ScratchDir dir;
  ds_store* store = nullptr;
  ds_provider* provider = nullptr;
  ds_admin* admin = nullptr;
  ds_batch* batch = nullptr;
  std::vector<std::string> leases;      // ds_lease_token of dequeued leases
  std::vector<std::string> orch_locks;  // orchestration lock tokens
  std::vector<std::string> work_locks;  // work item lock tokens
  uint64_t inputs = 0;

  Handles() { Open(); }
  void Open() {
    std::string path = dir.path() + "/db";
    ds_options o;
    ds_options_init(&o);
    o.durability = DS_DURABILITY_NO_SYNC;
    o.initial_map_size = size_t{8} << 20;
    o.now_ms = NowMs;
    if (ds_store_open(path.data(), path.size(), &o, &store, nullptr) != DS_OK ||
        ds_provider_open(store, &provider, nullptr) != DS_OK ||
        ds_admin_open(store, &admin, nullptr) != DS_OK || ds_batch_new(&batch, nullptr) != DS_OK) {
      Fail("opening the C API store");
    }
  }
  void Reopen() {
    ds_batch_free(batch);
    ds_admin_free(admin);
    ds_provider_free(provider);
    ds_store_free(store);
    std::error_code ec;
    std::filesystem::remove_all(dir.path() + "/db", ec);
    leases.clear();
    orch_locks.clear();
    work_locks.clear();
    Open();
  }
};

Handles& GetHandles() {
  static Handles* h = new Handles();  // never destroyed: libFuzzer exits the process
  return *h;
}

// Checks the error contract of one call and frees the error.
void Check(const char* call, ds_code code, ds_error* err) {
  if (code == DS_INTERNAL)
    Fail(std::string(call) +
         " returned DS_INTERNAL: " + (err ? ds_error_message(err) : "(no error)"));
  if (std::strcmp(ds_code_name(code), "Unknown") == 0) {
    Fail(std::string(call) + " returned a code outside the enum: " + std::to_string(code));
  }
  // The raw batch calls may write into the orchestration layer's namespace (history
  // stream = instance id, "o/..." metadata keys); the Provider and Admin report what they
  // cannot parse there as Corruption, which is right. Nothing else may: no IO fault is
  // injected here.
  const bool orchestration =
      std::strncmp(call, "ds_provider_", 12) == 0 || std::strncmp(call, "ds_admin_", 9) == 0;
  if ((code == DS_CORRUPTION && !orchestration) || code == DS_UNAVAILABLE || code == DS_IO_ERROR ||
      code == DS_BUSY) {
    Fail(std::string(call) + " returned " + ds_code_name(code) + ": " +
         (err ? ds_error_message(err) : "(no error)"));
  }
  if (code == DS_OK) {
    if (err != nullptr) Fail(std::string(call) + " succeeded but set *err");
    return;
  }
  if (err == nullptr) Fail(std::string(call) + " failed without setting *err");
  if (ds_error_code(err) != code) Fail(std::string(call) + ": error code differs from return");
  if (ds_error_message(err) == nullptr) Fail(std::string(call) + ": error without a message");
  ds_error_free(err);
}

// Caller bytes for one call; the storage lives until the input is done.
class Args {
 public:
  explicit Args(FuzzedDataProvider& in) : in_(in) {}

  struct Bytes {
    const char* ptr;
    size_t len;
  };
  // (NULL, 0), (p, 0), a short pool name, fuzzer bytes, or a length near `limit`.
  Bytes Str(size_t limit) {
    switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
        return {nullptr, 0};
      case 1:
        return {"", 0};
      case 2:
        return Keep(std::string(limit, 'x'));
      case 3:
        return Keep(std::string(limit + 1, 'y'));
      case 4:
      case 5:
        return Keep(std::string(1, static_cast<char>('a' + in_.ConsumeIntegralInRange<int>(0, 2))));
      default:
        return Keep(in_.ConsumeRandomLengthString(32));
    }
  }
  // An optional string: NULL (unset) half the time.
  Bytes Opt(size_t limit) { return in_.ConsumeBool() ? Bytes{nullptr, 0} : Str(limit); }
  // A token from `pool` as is or damaged, or made-up bytes.
  Bytes Token(const std::vector<std::string>& pool) {
    std::string t;
    if (!pool.empty() && in_.ConsumeProbability<float>() < 0.7f) {
      t = pool[in_.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
    } else {
      t = in_.ConsumeBytesAsString(in_.ConsumeBool() ? 32
                                                     : in_.ConsumeIntegralInRange<size_t>(0, 40));
    }
    switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:
        if (!t.empty())
          t[in_.ConsumeIntegralInRange<size_t>(0, t.size() - 1)] = in_.ConsumeIntegral<char>();
        break;
      case 1:
        for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        break;
      case 2:
        t.resize(in_.ConsumeIntegralInRange<size_t>(0, t.size() + 2), '0');
        break;
      case 3:
        if (t.empty()) return {nullptr, 0};
        break;
      default:
        break;
    }
    return Keep(std::move(t));
  }
  // An enum field: one of its values, or any int a C caller could store. Kept as int
  // until passed on: loading an out-of-range value as the enum type is undefined.
  int EnumBits(int max) {
    if (in_.ConsumeProbability<float>() < 0.9f) return in_.ConsumeIntegralInRange<int>(0, max);
    return in_.ConsumeIntegral<int>();
  }
  template <typename E>
  E Enum(int max) {
    return static_cast<E>(EnumBits(max));
  }
  int64_t Ms() { return PickMs(in_); }
  template <typename T>
  T* Array(std::vector<T> v) {
    arrays_.push_back(std::make_shared<std::vector<T>>(std::move(v)));
    auto* p = static_cast<std::vector<T>*>(arrays_.back().get());
    return p->empty() ? nullptr : p->data();
  }
  FuzzedDataProvider& in() { return in_; }

 private:
  Bytes Keep(std::string s) {
    kept_.push_back(std::move(s));
    return {kept_.back().data(), kept_.back().size()};
  }
  FuzzedDataProvider& in_;
  std::deque<std::string> kept_;
  std::vector<std::shared_ptr<void>> arrays_;
};

ds_orchestrator_item OrchItem(Args& a) {
  ds_orchestrator_item it{};
  auto inst = a.Str(DS_MAX_INSTANCE_ID);
  it.instance = inst.ptr;
  it.instance_len = inst.len;
  it.kind = a.Enum<ds_orchestrator_item_kind>(4);
  auto p = a.Str(64);
  it.payload = p.ptr;
  it.payload_len = p.len;
  auto n = a.Str(DS_MAX_NAME);
  it.orchestration_name = n.ptr;
  it.orchestration_name_len = n.len;
  auto v = a.Str(DS_MAX_NAME);
  it.version = v.ptr;
  it.version_len = v.len;
  it.has_visible_at = a.in().ConsumeBool();
  it.visible_at_ms = a.Ms();
  return it;
}

ds_worker_item WorkerItem(Args& a) {
  ds_worker_item w{};
  auto inst = a.Str(DS_MAX_INSTANCE_ID);
  w.identity = {inst.ptr, inst.len, a.in().ConsumeIntegralInRange<uint64_t>(0, 3),
                a.in().ConsumeIntegralInRange<uint64_t>(0, 3)};
  auto p = a.Str(64);
  w.payload = p.ptr;
  w.payload_len = p.len;
  auto s = a.Opt(DS_MAX_NAME);
  w.session_id = s.ptr;
  w.session_id_len = s.len;
  auto t = a.Opt(DS_MAX_NAME);
  w.tag = t.ptr;
  w.tag_len = t.len;
  return w;
}

void BatchOp(Args& a, Handles& h) {
  FuzzedDataProvider& in = a.in();
  ds_error* err = nullptr;
  switch (in.ConsumeIntegralInRange<int>(0, 12)) {
    case 0: {
      auto stream = a.Str(DS_MAX_STREAM_KEY);
      std::vector<ds_event_data> events(in.ConsumeIntegralInRange<size_t>(0, 3));
      for (auto& e : events) {
        auto p = a.Str(64);  // oversize payloads: batch_fuzzer
        auto k = a.Str(DS_MAX_EVENT_KEY);
        e = {p.ptr, p.len, k.ptr, k.len};
      }
      ds_expected_version ev{a.Enum<ds_expected_kind>(3),
                             in.ConsumeIntegralInRange<uint64_t>(0, 4)};
      size_t count = events.size();
      Check("ds_batch_append",
            ds_batch_append(h.batch, stream.ptr, stream.len,
                            in.ConsumeIntegralInRange<uint64_t>(0, 2), a.Array(std::move(events)),
                            count, in.ConsumeBool() ? &ev : nullptr, &err),
            err);
      break;
    }
    case 1: {
      auto s = a.Str(DS_MAX_STREAM_KEY);
      Check(
          "ds_batch_truncate_before",
          ds_batch_truncate_before(h.batch, s.ptr, s.len, in.ConsumeIntegralInRange<uint64_t>(0, 2),
                                   in.ConsumeIntegral<uint64_t>() % 8, &err),
          err);
      break;
    }
    case 2: {
      auto s = a.Str(DS_MAX_STREAM_KEY);
      if (in.ConsumeBool()) {
        Check("ds_batch_delete_partition",
              ds_batch_delete_partition(h.batch, s.ptr, s.len, 1, &err), err);
      } else {
        Check("ds_batch_delete_stream", ds_batch_delete_stream(h.batch, s.ptr, s.len, &err), err);
      }
      break;
    }
    case 3: {
      auto q = a.Str(DS_MAX_QUEUE_NAME);
      auto p = a.Str(64);
      ds_enqueue_options o;
      ds_enqueue_options_init(&o);
      o.delay_ms = a.Ms();
      o.has_visible_at = in.ConsumeBool();
      o.visible_at_ms = a.Ms();
      auto g = a.Str(DS_MAX_GROUP_KEY);
      o.group_key = g.ptr;
      o.group_key_len = g.len;
      std::vector<ds_attribute> attrs(in.ConsumeIntegralInRange<size_t>(0, DS_MAX_ATTRIBUTES + 1));
      if (in.ConsumeProbability<float>() < 0.8f) attrs.resize(std::min<size_t>(attrs.size(), 2));
      for (auto& at : attrs) {
        auto n = a.Str(DS_MAX_ATTRIBUTE_NAME);
        auto v = a.Str(DS_MAX_ATTRIBUTE_VALUE);
        at = {n.ptr, n.len, v.ptr, v.len};
      }
      o.attribute_count = attrs.size();
      o.attributes = a.Array(std::move(attrs));
      Check("ds_batch_enqueue",
            ds_batch_enqueue(h.batch, q.ptr, q.len, p.ptr, p.len, in.ConsumeBool() ? &o : nullptr,
                             &err),
            err);
      break;
    }
    case 4: {
      auto q = a.Str(DS_MAX_QUEUE_NAME);
      ds_queue_options o;
      ds_queue_options_init(&o);
      o.lock_duration_ms = a.Ms();
      o.max_deliveries = in.ConsumeIntegralInRange<uint32_t>(0, 3);
      auto d = a.Str(DS_MAX_QUEUE_NAME);
      o.dead_letter_queue = d.ptr;
      o.dead_letter_queue_len = d.len;
      o.group_mode = in.ConsumeBool();
      Check("ds_batch_configure_queue",
            ds_batch_configure_queue(h.batch, q.ptr, q.len, in.ConsumeBool() ? &o : nullptr, &err),
            err);
      break;
    }
    case 5: {
      auto t = a.Token(h.leases);
      Check("ds_batch_ack", ds_batch_ack(h.batch, t.ptr, t.len, &err), err);
      break;
    }
    case 6: {
      auto t = a.Token(h.leases);
      Check("ds_batch_abandon",
            ds_batch_abandon(h.batch, t.ptr, t.len, a.Ms(), in.ConsumeBool(), &err), err);
      break;
    }
    case 7: {
      auto t = a.Token(h.leases);
      Check("ds_batch_renew", ds_batch_renew(h.batch, t.ptr, t.len, a.Ms(), &err), err);
      break;
    }
    case 8: {
      auto t = a.Token(h.leases);
      auto r = a.Str(DS_MAX_ATTRIBUTE_VALUE);
      Check("ds_batch_dead_letter", ds_batch_dead_letter(h.batch, t.ptr, t.len, r.ptr, r.len, &err),
            err);
      break;
    }
    case 9: {
      auto q = a.Str(DS_MAX_QUEUE_NAME);
      auto n = a.Str(DS_MAX_ATTRIBUTE_NAME);
      auto v = a.Str(DS_MAX_ATTRIBUTE_VALUE);
      Check("ds_batch_delete_messages",
            ds_batch_delete_messages(h.batch, q.ptr, q.len, n.ptr, n.len, v.ptr, v.len, &err), err);
      break;
    }
    case 10: {
      auto k = a.Str(DS_MAX_METADATA_KEY);
      auto v = a.Str(64);
      Check("ds_batch_put", ds_batch_put(h.batch, k.ptr, k.len, v.ptr, v.len, &err), err);
      break;
    }
    case 11: {
      auto k = a.Str(DS_MAX_METADATA_KEY);
      Check("ds_batch_delete", ds_batch_delete(h.batch, k.ptr, k.len, &err), err);
      break;
    }
    default: {
      auto b = a.Str(DS_MAX_METADATA_KEY);
      auto e = a.Str(DS_MAX_METADATA_KEY);
      Check("ds_batch_delete_range",
            ds_batch_delete_range(h.batch, b.ptr, b.len, e.ptr, e.len, &err), err);
      break;
    }
  }
}

void Commit(Args& a, Handles& h) {
  ds_error* err = nullptr;
  ds_batch* target = h.batch;
  ds_batch* clone = nullptr;
  if (a.in().ConsumeBool()) {
    Check("ds_batch_clone", ds_batch_clone(h.batch, &clone, &err), err);
    if (clone == nullptr) return;
    if (ds_batch_size(clone) != ds_batch_size(h.batch) ||
        ds_batch_byte_size(clone) != ds_batch_byte_size(h.batch)) {
      Fail("ds_batch_clone differs from its source");
    }
    target = clone;
  }
  ds_commit_result* result = nullptr;
  const int durability = a.EnumBits(2);
  ds_code code = ds_store_commit(h.store, target, static_cast<ds_durability>(durability),
                                 a.in().ConsumeBool() ? &result : nullptr, &err);
  Check("ds_store_commit", code, err);
  // "The batch's operations are consumed whatever the outcome." Known finding F6: an
  // invalid durability fails before the batch is taken (tolerated unless strict).
  const bool known_f6 = durability < 0 || durability > 2;
  if (ds_batch_size(target) != 0 && (Strict() || !known_f6)) {
    Fail("ds_store_commit left operations in the batch");
  }
  if (known_f6) ds_batch_clear(target);
  size_t n = 0;
  ds_commit_result_appends(result, &n);
  ds_commit_result_message_ids(result, &n);
  ds_commit_result_free(result);
  if (clone != nullptr) {
    ds_batch_free(clone);
    ds_batch_clear(h.batch);
  }
}

void ReadOp(Args& a, Handles& h) {
  FuzzedDataProvider& in = a.in();
  ds_error* err = nullptr;
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: {
      auto k = a.Str(DS_MAX_METADATA_KEY);
      char* v = nullptr;
      size_t len = 0;
      Check("ds_meta_get", ds_meta_get(h.store, k.ptr, k.len, &v, &len, &err), err);
      ds_free(v);
      break;
    }
    case 1: {
      auto p = a.Str(DS_MAX_METADATA_KEY);
      auto s = a.Opt(DS_MAX_METADATA_KEY);
      ds_kvs* out = nullptr;
      Check("ds_meta_scan",
            ds_meta_scan(h.store, p.ptr, p.len, in.ConsumeIntegralInRange<size_t>(0, 50), s.ptr,
                         s.len, &out, &err),
            err);
      size_t n = 0;
      ds_kvs_items(out, &n);
      ds_kvs_free(out);
      break;
    }
    case 2: {
      auto q = a.Str(DS_MAX_QUEUE_NAME);
      ds_dequeue_options o;
      ds_dequeue_options_init(&o);
      o.lock_duration_ms = in.ConsumeBool() ? 0 : a.Ms();
      o.max_messages = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<size_t>(1, 1002);
      auto n = a.Str(DS_MAX_ATTRIBUTE_NAME);
      auto v = a.Str(DS_MAX_ATTRIBUTE_VALUE);
      ds_str values[1] = {{v.ptr, v.len}};
      ds_attribute_match m{
          n.ptr,           n.len, values, in.ConsumeIntegralInRange<size_t>(0, 1), in.ConsumeBool(),
          in.ConsumeBool()};
      if (in.ConsumeBool()) {
        o.filter = &m;
        o.filter_count = 1;
      }
      ds_lease* lease = nullptr;
      Check("ds_queue_dequeue",
            ds_queue_dequeue(h.store, q.ptr, q.len, in.ConsumeBool() ? &o : nullptr, &lease, &err),
            err);
      size_t len = 0;
      const char* token = ds_lease_token(lease, &len);
      if (token != nullptr) h.leases.emplace_back(token, len);
      ds_lease_free(lease);
      break;
    }
    case 3: {
      auto q = a.Str(DS_MAX_QUEUE_NAME);
      auto n = a.Str(DS_MAX_ATTRIBUTE_NAME);
      auto v = a.Str(DS_MAX_ATTRIBUTE_VALUE);
      ds_messages* out = nullptr;
      Check("ds_queue_peek",
            ds_queue_peek(h.store, q.ptr, q.len, n.ptr, n.len, v.ptr, v.len,
                          in.ConsumeIntegralInRange<size_t>(0, 20), &out, &err),
            err);
      ds_messages_free(out);
      ds_queue_counters c;
      Check("ds_queue_counters_get", ds_queue_counters_get(h.store, q.ptr, q.len, &c, &err), err);
      break;
    }
    case 4: {
      auto s = a.Str(DS_MAX_STREAM_KEY);
      ds_read_options o;
      ds_read_options_init(&o);
      o.has_from_sequence = in.ConsumeBool();
      o.from_sequence = in.ConsumeIntegral<uint64_t>();
      o.backward = in.ConsumeBool();
      o.max_count = in.ConsumeIntegralInRange<size_t>(0, 10);
      o.max_bytes = in.ConsumeIntegralInRange<size_t>(0, 100);
      ds_events* out = nullptr;
      Check("ds_log_read_partition",
            ds_log_read_partition(h.store, s.ptr, s.len, in.ConsumeIntegralInRange<uint64_t>(0, 2),
                                  in.ConsumeBool() ? &o : nullptr, &out, &err),
            err);
      ds_events_free(out);
      uint64_t* parts = nullptr;
      size_t count = 0;
      Check("ds_log_list_partitions",
            ds_log_list_partitions(h.store, s.ptr, s.len, &parts, &count, &err), err);
      ds_free(parts);
      ds_stream_info si;
      Check("ds_log_stream_info", ds_log_stream_info(h.store, s.ptr, s.len, &si, &err), err);
      break;
    }
    case 5: {
      ds_events* out = nullptr;
      Check("ds_log_read_after",
            ds_log_read_after(h.store, in.ConsumeIntegralInRange<uint64_t>(0, 100),
                              in.ConsumeIntegralInRange<size_t>(0, 10), 0, &out, &err),
            err);
      ds_events_free(out);
      break;
    }
    case 6:
      g_now.fetch_add(in.ConsumeIntegralInRange<int64_t>(0, 120'000));
      break;
    default: {
      ds_strings* out = nullptr;
      Check("ds_queue_list", ds_queue_list(h.store, &out, &err), err);
      ds_strings_free(out);
      break;
    }
  }
}

ds_orchestration_ack Ack(Args& a) {
  FuzzedDataProvider& in = a.in();
  ds_orchestration_ack ack;
  ds_orchestration_ack_init(&ack);
  ack.execution_id = in.ConsumeIntegralInRange<uint64_t>(0, 3);
  std::vector<ds_history_event> history(in.ConsumeIntegralInRange<size_t>(0, 3));
  for (auto& e : history) {
    auto p = a.Str(64);
    e = {in.ConsumeIntegralInRange<uint64_t>(0, 4), p.ptr, p.len};
  }
  ack.history_delta_count = history.size();
  ack.history_delta = a.Array(std::move(history));
  std::vector<ds_worker_item> workers(in.ConsumeIntegralInRange<size_t>(0, 2));
  for (auto& w : workers) w = WorkerItem(a);
  ack.worker_item_count = workers.size();
  ack.worker_items = a.Array(std::move(workers));
  std::vector<ds_orchestrator_item> orch(in.ConsumeIntegralInRange<size_t>(0, 2));
  for (auto& o : orch) o = OrchItem(a);
  ack.orchestrator_item_count = orch.size();
  ack.orchestrator_items = a.Array(std::move(orch));
  ack.metadata.has_status = in.ConsumeBool();
  ack.metadata.status = a.Enum<ds_execution_status>(3);
  auto out = a.Opt(64);
  ack.metadata.output = out.ptr;
  ack.metadata.output_len = out.len;
  auto name = a.Opt(DS_MAX_NAME);
  ack.metadata.orchestration_name = name.ptr;
  ack.metadata.orchestration_name_len = name.len;
  auto ver = a.Opt(DS_MAX_NAME);
  ack.metadata.version = ver.ptr;
  ack.metadata.version_len = ver.len;
  auto parent = a.Opt(DS_MAX_INSTANCE_ID);
  ack.metadata.parent_instance = parent.ptr;
  ack.metadata.parent_instance_len = parent.len;
  auto pinned = a.Opt(DS_MAX_NAME);
  ack.metadata.pinned_version = pinned.ptr;
  ack.metadata.pinned_version_len = pinned.len;
  std::vector<ds_activity_id> cancelled(in.ConsumeIntegralInRange<size_t>(0, 1));
  for (auto& c : cancelled) c = WorkerItem(a).identity;
  ack.cancelled_activity_count = cancelled.size();
  ack.cancelled_activities = a.Array(std::move(cancelled));
  ack.custom_status_change = a.Enum<ds_custom_status_change>(2);
  auto cs = a.Str(64);
  ack.custom_status = cs.ptr;
  ack.custom_status_len = cs.len;
  std::vector<ds_kv_change> kv(in.ConsumeIntegralInRange<size_t>(0, 2));
  for (auto& c : kv) {
    auto k = a.Str(DS_MAX_KV_KEY);
    auto v = a.Str(64);
    c = {a.Enum<ds_kv_change_kind>(2), k.ptr, k.len, v.ptr, v.len, in.ConsumeIntegral<int64_t>()};
  }
  ack.kv_change_count = kv.size();
  ack.kv_changes = a.Array(std::move(kv));
  return ack;
}

void ProviderOp(Args& a, Handles& h) {
  FuzzedDataProvider& in = a.in();
  ds_error* err = nullptr;
  switch (in.ConsumeIntegralInRange<int>(0, 11)) {
    case 0: {
      ds_orchestrator_item it = OrchItem(a);
      Check("ds_provider_enqueue_for_orchestrator",
            ds_provider_enqueue_for_orchestrator(h.provider, in.ConsumeBool() ? &it : nullptr,
                                                 in.ConsumeBool(), a.Ms(), &err),
            err);
      break;
    }
    case 1: {
      ds_worker_item w = WorkerItem(a);
      Check("ds_provider_enqueue_for_worker",
            ds_provider_enqueue_for_worker(h.provider, in.ConsumeBool() ? &w : nullptr, &err), err);
      break;
    }
    case 2: {
      ds_fetched_orchestration* f = nullptr;
      auto lo = a.Str(16);
      auto hi = a.Str(16);
      ds_version_range range{lo.ptr, lo.len, hi.ptr, hi.len};
      ds_version_filter filter{&range, in.ConsumeIntegralInRange<size_t>(0, 1)};
      Check("ds_provider_fetch_orchestration_item",
            ds_provider_fetch_orchestration_item(h.provider, in.ConsumeBool() ? 30'000 : a.Ms(), 0,
                                                 in.ConsumeBool() ? &filter : nullptr, &f, &err),
            err);
      size_t len = 0;
      const char* token = ds_fetched_orchestration_lock_token(f, &len);
      if (token != nullptr) h.orch_locks.emplace_back(token, len);
      ds_fetched_orchestration_free(f);
      break;
    }
    case 3: {
      auto t = a.Token(h.orch_locks);
      ds_orchestration_ack ack = Ack(a);
      Check("ds_provider_ack_orchestration_item",
            ds_provider_ack_orchestration_item(h.provider, t.ptr, t.len,
                                               in.ConsumeBool() ? &ack : nullptr, &err),
            err);
      break;
    }
    case 4: {
      auto t = a.Token(h.orch_locks);
      if (in.ConsumeBool()) {
        Check("ds_provider_abandon_orchestration_item",
              ds_provider_abandon_orchestration_item(h.provider, t.ptr, t.len, in.ConsumeBool(),
                                                     a.Ms(), in.ConsumeBool(), &err),
              err);
      } else {
        Check("ds_provider_renew_orchestration_item_lock",
              ds_provider_renew_orchestration_item_lock(h.provider, t.ptr, t.len, a.Ms(), &err),
              err);
      }
      break;
    }
    case 5: {
      auto owner = a.Str(DS_MAX_NAME);
      ds_session_config session{owner.ptr, owner.len, a.Ms()};
      auto tag = a.Str(DS_MAX_NAME);
      ds_str tags[1] = {{tag.ptr, tag.len}};
      ds_tag_filter filter{a.Enum<ds_tag_filter_mode>(4), tags,
                           in.ConsumeIntegralInRange<size_t>(0, 1)};
      ds_fetched_work* w = nullptr;
      Check("ds_provider_fetch_work_item",
            ds_provider_fetch_work_item(h.provider, in.ConsumeBool() ? 30'000 : a.Ms(), 0,
                                        in.ConsumeBool() ? &session : nullptr,
                                        in.ConsumeBool() ? &filter : nullptr, &w, &err),
            err);
      size_t len = 0;
      const char* token = ds_fetched_work_lock_token(w, &len);
      if (token != nullptr) h.work_locks.emplace_back(token, len);
      ds_fetched_work_free(w);
      break;
    }
    case 6: {
      auto t = a.Token(h.work_locks);
      ds_orchestrator_item completion = OrchItem(a);
      switch (in.ConsumeIntegralInRange<int>(0, 2)) {
        case 0:
          Check("ds_provider_ack_work_item",
                ds_provider_ack_work_item(h.provider, t.ptr, t.len,
                                          in.ConsumeBool() ? &completion : nullptr, &err),
                err);
          break;
        case 1:
          Check("ds_provider_renew_work_item_lock",
                ds_provider_renew_work_item_lock(h.provider, t.ptr, t.len, a.Ms(), &err), err);
          break;
        default:
          Check("ds_provider_abandon_work_item",
                ds_provider_abandon_work_item(h.provider, t.ptr, t.len, in.ConsumeBool(), a.Ms(),
                                              in.ConsumeBool(), &err),
                err);
          break;
      }
      break;
    }
    case 7: {
      auto inst = a.Str(DS_MAX_INSTANCE_ID);
      ds_history* out = nullptr;
      Check("ds_provider_read_with_execution",
            ds_provider_read_with_execution(h.provider, inst.ptr, inst.len,
                                            in.ConsumeIntegralInRange<uint64_t>(0, 3), &out, &err),
            err);
      ds_history_free(out);
      out = nullptr;
      Check("ds_provider_read", ds_provider_read(h.provider, inst.ptr, inst.len, &out, &err), err);
      ds_history_free(out);
      break;
    }
    case 8: {
      auto inst = a.Str(DS_MAX_INSTANCE_ID);
      std::vector<ds_history_event> events(in.ConsumeIntegralInRange<size_t>(0, 3));
      for (auto& e : events) {
        auto p = a.Str(64);
        e = {in.ConsumeIntegralInRange<uint64_t>(0, 4), p.ptr, p.len};
      }
      size_t count = events.size();
      Check("ds_provider_append_with_execution",
            ds_provider_append_with_execution(h.provider, inst.ptr, inst.len,
                                              in.ConsumeIntegralInRange<uint64_t>(0, 3),
                                              a.Array(std::move(events)), count, &err),
            err);
      break;
    }
    case 9: {
      auto inst = a.Str(DS_MAX_INSTANCE_ID);
      bool changed = false;
      char* status = nullptr;
      size_t len = 0;
      uint64_t version = 0;
      Check("ds_provider_get_custom_status",
            ds_provider_get_custom_status(h.provider, inst.ptr, inst.len,
                                          in.ConsumeIntegral<uint8_t>(), &changed, &status, &len,
                                          &version, &err),
            err);
      ds_free(status);
      auto key = a.Str(DS_MAX_KV_KEY);
      char* value = nullptr;
      Check("ds_provider_get_kv_value",
            ds_provider_get_kv_value(h.provider, inst.ptr, inst.len, key.ptr, key.len, &value, &len,
                                     &err),
            err);
      ds_free(value);
      ds_kvs* all = nullptr;
      Check("ds_provider_get_kv_all_values",
            ds_provider_get_kv_all_values(h.provider, inst.ptr, inst.len, &all, &err), err);
      ds_kvs_free(all);
      break;
    }
    case 10: {
      auto owner = a.Str(DS_MAX_NAME);
      ds_str owners[1] = {{owner.ptr, owner.len}};
      uint64_t n = 0;
      Check("ds_provider_renew_session_lock",
            ds_provider_renew_session_lock(h.provider, owners,
                                           in.ConsumeIntegralInRange<size_t>(0, 1), a.Ms(), a.Ms(),
                                           &n, &err),
            err);
      Check("ds_provider_cleanup_orphaned_sessions",
            ds_provider_cleanup_orphaned_sessions(h.provider, a.Ms(), &n, &err), err);
      break;
    }
    default: {
      auto inst = a.Str(DS_MAX_INSTANCE_ID);
      ds_instance_info* info = nullptr;
      Check("ds_admin_get_instance_info",
            ds_admin_get_instance_info(h.admin, inst.ptr, inst.len, &info, &err), err);
      ds_instance_info_free(info);
      ds_strings* tree = nullptr;
      Check("ds_admin_get_instance_tree",
            ds_admin_get_instance_tree(h.admin, inst.ptr, inst.len, &tree, &err), err);
      ds_strings_free(tree);
      char* parent = nullptr;
      size_t len = 0;
      Check("ds_admin_get_parent_id",
            ds_admin_get_parent_id(h.admin, inst.ptr, inst.len, &parent, &len, &err), err);
      ds_free(parent);
      if (in.ConsumeBool()) {
        ds_delete_result r;
        Check("ds_admin_delete_instance",
              ds_admin_delete_instance(h.admin, inst.ptr, inst.len, in.ConsumeBool(), &r, &err),
              err);
      }
      break;
    }
  }
}

void Trim(std::vector<std::string>& pool) {
  if (pool.size() > 32) pool.erase(pool.begin(), pool.begin() + 16);
}

}  // namespace
}  // namespace durastore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore::fuzz;
  Handles& h = GetHandles();
  FuzzedDataProvider in(data, size);
  Args a(in);
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0:
      case 1:
      case 2:
      case 3:
        BatchOp(a, h);
        break;
      case 4:
        Commit(a, h);
        break;
      case 5:
      case 6:
        ReadOp(a, h);
        break;
      default:
        ProviderOp(a, h);
        break;
    }
  }
  ds_error* err = nullptr;
  Check("ds_store_commit", ds_store_commit(h.store, h.batch, DS_DURABILITY_DEFAULT, nullptr, &err),
        err);
  Check("ds_store_health", ds_store_health(h.store, &err), err);
  Trim(h.leases);
  Trim(h.orch_locks);
  Trim(h.work_locks);
  if (++h.inputs % 256 == 0) {
    if (StoreFileOver(h.dir.path(), uintmax_t{256} << 20)) h.Reopen();
  }
  return 0;
}
