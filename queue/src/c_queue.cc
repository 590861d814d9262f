// The queues' C API (durastore/c_queue.h) over durastore/queue.h and the batch's queue
// operations. Conventions and the shared helpers are in the engine's c_api_internal.h.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "durastore/batch.h"
#include "durastore/c_queue.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "durastore/status.h"

namespace lim = durastore::limits;
using durastore::Status;
using durastore::c_api_internal::Array;
using durastore::c_api_internal::BatchOp;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::CError;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::MakeStrings;
using durastore::c_api_internal::Millis;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::NoStr;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::Str;
using durastore::c_api_internal::StringList;
using durastore::c_api_internal::ValueOut;

// The C limits mirror the C++ ones value for value.
static_assert(DS_MAX_QUEUE_NAME == lim::kMaxQueueName);
static_assert(DS_MAX_GROUP_KEY == lim::kMaxGroupKey);
static_assert(DS_MAX_ATTRIBUTES == lim::kMaxAttributes);
static_assert(DS_MAX_ATTRIBUTE_NAME == lim::kMaxAttributeName);
static_assert(DS_MAX_ATTRIBUTE_VALUE == lim::kMaxAttributeValue);
static_assert(DS_LOCK_TOKEN_LEN == 2 * sizeof(durastore::queue::LeaseToken::bytes));

struct ds_messages {
  std::vector<durastore::queue::Message> messages;
  std::vector<std::vector<ds_attribute>> attributes;  // per message
  std::vector<ds_message> views;
};

struct ds_lease {
  std::string token;
  std::string queue;
  std::string group_key;
  int64_t locked_until_ms = 0;
  ds_messages messages;
};

namespace {

// Takes `messages` into `m` and builds its views.
void MessagesOut(std::vector<durastore::queue::Message> messages, ds_messages& m) {
  m.messages = std::move(messages);
  m.attributes.resize(m.messages.size());
  for (size_t i = 0; i < m.messages.size(); ++i) {
    for (const auto& a : m.messages[i].attributes) {
      m.attributes[i].push_back({a.name.data(), a.name.size(), a.value.data(), a.value.size()});
    }
  }
  m.views.reserve(m.messages.size());
  for (size_t i = 0; i < m.messages.size(); ++i) {
    const auto& msg = m.messages[i];
    m.views.push_back(
        {msg.id, msg.payload.data(), msg.payload.size(), msg.group_key.data(), msg.group_key.size(),
         m.attributes[i].empty() ? nullptr : m.attributes[i].data(), m.attributes[i].size(),
         msg.delivery_count, msg.enqueued_at_ms, msg.visible_at_ms});
  }
}

durastore::queue::LeaseToken Token(const char* token, size_t len) {
  auto parsed = durastore::queue::LeaseToken::FromHex(Bytes(token, len, "token"));
  if (!parsed.ok()) throw CError{parsed.status()};
  return *parsed;
}

durastore::queue::EnqueueOptions EnqueueOptionsIn(const ds_enqueue_options* c) {
  durastore::queue::EnqueueOptions cpp;
  if (c == nullptr) return cpp;
  cpp.delay_ms = c->delay_ms;
  if (c->has_visible_at) cpp.visible_at_ms = c->visible_at_ms;
  cpp.group_key = Bytes(c->group_key, c->group_key_len, "group_key");
  Array(c->attributes, c->attribute_count, "attributes");
  for (size_t i = 0; i < c->attribute_count; ++i) {
    const ds_attribute& a = c->attributes[i];
    cpp.attributes.push_back({std::string(Bytes(a.name, a.name_len, "attribute name")),
                              std::string(Bytes(a.value, a.value_len, "attribute value"))});
  }
  return cpp;
}

durastore::queue::QueueOptions QueueOptionsIn(const ds_queue_options& c) {
  durastore::queue::QueueOptions cpp;
  cpp.lock_duration_ms = c.lock_duration_ms;
  cpp.max_deliveries = c.max_deliveries;
  cpp.dead_letter_queue = Bytes(c.dead_letter_queue, c.dead_letter_queue_len, "dead_letter_queue");
  cpp.group_mode = c.group_mode;
  return cpp;
}

durastore::queue::DequeueOptions DequeueOptionsIn(const ds_dequeue_options* c) {
  durastore::queue::DequeueOptions cpp;
  if (c == nullptr) return cpp;
  cpp.lock_duration_ms = c->lock_duration_ms;
  cpp.wait = Millis(c->wait_ms);
  cpp.max_messages = c->max_messages == 0 ? 1 : c->max_messages;
  Array(c->filter, c->filter_count, "filter");
  for (size_t i = 0; i < c->filter_count; ++i) {
    const ds_attribute_match& m = c->filter[i];
    cpp.filter.push_back({std::string(Bytes(m.name, m.name_len, "filter name")),
                          StringList(m.values, m.value_count, "filter values"), m.match_absent,
                          m.match_any_value});
  }
  return cpp;
}

}  // namespace

// =====================================================================================
// Batch: queue writes
// =====================================================================================

void ds_enqueue_options_init(ds_enqueue_options* options) {
  if (options != nullptr) *options = ds_enqueue_options{};
}

void ds_queue_options_init(ds_queue_options* options) {
  if (options == nullptr) return;
  const durastore::queue::QueueOptions defaults;
  *options = ds_queue_options{};
  options->lock_duration_ms = defaults.lock_duration_ms;
  options->max_deliveries = defaults.max_deliveries;
  options->group_mode = defaults.group_mode;
}

ds_code ds_batch_enqueue(ds_batch* batch, const char* queue, size_t queue_len, const char* payload,
                         size_t payload_len, const ds_enqueue_options* options, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    const durastore::queue::EnqueueOptions cpp = EnqueueOptionsIn(options);
    b.Enqueue(Bytes(queue, queue_len, "queue"), Bytes(payload, payload_len, "payload"), cpp);
  });
}

ds_code ds_batch_configure_queue(ds_batch* batch, const char* queue, size_t queue_len,
                                 const ds_queue_options* options, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    const durastore::queue::QueueOptions cpp = QueueOptionsIn(Ref(options, "options"));
    b.ConfigureQueue(Bytes(queue, queue_len, "queue"), cpp);
  });
}

ds_code ds_batch_ack(ds_batch* batch, const char* token, size_t token_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) { b.Ack(Token(token, token_len)); });
}

ds_code ds_batch_abandon(ds_batch* batch, const char* token, size_t token_len, int64_t delay_ms,
                         bool count_attempt, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.Abandon(Token(token, token_len), delay_ms, count_attempt);
  });
}

ds_code ds_batch_renew(ds_batch* batch, const char* token, size_t token_len, int64_t extend_ms,
                       ds_error** err) {
  return BatchOp(batch, err,
                 [&](durastore::Batch& b) { b.Renew(Token(token, token_len), extend_ms); });
}

ds_code ds_batch_dead_letter(ds_batch* batch, const char* token, size_t token_len,
                             const char* reason, size_t reason_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeadLetter(Token(token, token_len), Bytes(reason, reason_len, "reason"));
  });
}

ds_code ds_batch_delete_messages(ds_batch* batch, const char* queue, size_t queue_len,
                                 const char* name, size_t name_len, const char* value,
                                 size_t value_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeleteMessages(Bytes(queue, queue_len, "queue"), Bytes(name, name_len, "name"),
                     Bytes(value, value_len, "value"));
  });
}

// =====================================================================================
// Queue reads and dequeue
// =====================================================================================

const ds_message* ds_messages_items(const ds_messages* messages, size_t* count) {
  return messages == nullptr ? NoItems<ds_message>(count) : Items(messages->views, count);
}

void ds_messages_free(ds_messages* messages) { delete messages; }

void ds_dequeue_options_init(ds_dequeue_options* options) {
  if (options != nullptr) *options = ds_dequeue_options{};
}

const char* ds_lease_token(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? NoStr(len) : Str(lease->token, len);
}

const char* ds_lease_queue(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? NoStr(len) : Str(lease->queue, len);
}

const char* ds_lease_group_key(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? NoStr(len) : Str(lease->group_key, len);
}

int64_t ds_lease_locked_until_ms(const ds_lease* lease) {
  return lease == nullptr ? 0 : lease->locked_until_ms;
}

const ds_message* ds_lease_messages(const ds_lease* lease, size_t* count) {
  return lease == nullptr ? NoItems<ds_message>(count) : Items(lease->messages.views, count);
}

void ds_lease_free(ds_lease* lease) { delete lease; }

ds_code ds_queue_dequeue(ds_store* store, const char* queue, size_t queue_len,
                         const ds_dequeue_options* options, ds_lease** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    const durastore::queue::DequeueOptions cpp = DequeueOptionsIn(options);
    return ValueOut(
        durastore::queue::Dequeue(StoreOf(store), Bytes(queue, queue_len, "queue"), cpp), *out,
        [](std::optional<durastore::queue::Lease> lease) -> ds_lease* {
          if (!lease.has_value()) return nullptr;
          auto result = std::make_unique<ds_lease>();
          result->token = lease->token.ToHex();
          result->queue = std::move(lease->queue);
          result->group_key = std::move(lease->group_key);
          result->locked_until_ms = lease->locked_until_ms;
          MessagesOut(std::move(lease->messages), result->messages);
          return result.release();
        });
  });
}

ds_code ds_queue_counters_get(ds_store* store, const char* queue, size_t queue_len,
                              ds_queue_counters* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_queue_counters& result = Ref(out, "out");
    return ValueOut(durastore::queue::GetCounters(StoreOf(store), Bytes(queue, queue_len, "queue")),
                    result, [](const durastore::queue::Counters& c) -> ds_queue_counters {
                      return {c.ready, c.delayed, c.leased, c.dead_lettered, c.oldest_ready_age_ms};
                    });
  });
}

ds_code ds_queue_peek(ds_store* store, const char* queue, size_t queue_len, const char* name,
                      size_t name_len, const char* value, size_t value_len, size_t limit,
                      ds_messages** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(durastore::queue::PeekMessages(StoreOf(store), Bytes(queue, queue_len, "queue"),
                                                   Bytes(name, name_len, "name"),
                                                   Bytes(value, value_len, "value"), limit),
                    *out, [](std::vector<durastore::queue::Message> messages) {
                      auto result = std::make_unique<ds_messages>();
                      MessagesOut(std::move(messages), *result);
                      return result.release();
                    });
  });
}

ds_code ds_queue_browse(ds_store* store, const char* queue, size_t queue_len, size_t limit,
                        const ds_browse_position* after, ds_messages** out, bool* more,
                        ds_browse_position* next, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    bool& more_out = Ref(more, "more");
    ds_browse_position& next_out = Ref(next, "next");
    more_out = false;
    next_out = {};
    std::optional<durastore::queue::BrowsePosition> from;
    if (after != nullptr) from = durastore::queue::BrowsePosition{after->visible_at_ms, after->id};
    auto page = durastore::queue::BrowseQueue(StoreOf(store), Bytes(queue, queue_len, "queue"),
                                              limit == 0 ? 1000 : limit, from);
    if (!page.ok()) return page.status();
    if (page->next_after) {
      more_out = true;
      next_out = {page->next_after->visible_at_ms, page->next_after->id};
    }
    auto result = std::make_unique<ds_messages>();
    MessagesOut(std::move(page->messages), *result);
    *out = result.release();
    return Status::OK();
  });
}

ds_code ds_queue_list(ds_store* store, ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(durastore::queue::ListQueues(StoreOf(store)), *out, MakeStrings);
  });
}
