// How the durastore command prints: aligned tables for people, JSON for scripts, and the
// one encoding of stored bytes (payloads, keys, values) in both.
//
// Bytes in JSON: a field holds the bytes as a string when they are valid UTF-8; otherwise
// it holds their base64 (RFC 4648, padded) and a sibling field "<name>_encoding" is
// "base64". In tables, bytes are shown with control characters and invalid UTF-8 escaped
// as \xNN, cut to a display width with "...".
#ifndef DURASTORE_CLI_OUTPUT_H_
#define DURASTORE_CLI_OUTPUT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/queue.h"
#include "nlohmann/json.hpp"

namespace durastore::cli {

using Json = nlohmann::ordered_json;

// Columns aligned to their widest cell, two spaces apart; numeric columns (those whose
// header is passed in `right_aligned`) are right-aligned. Trailing blanks are trimmed.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "name  value" lines with the names padded to one width.
class KeyValues {
 public:
  void Add(std::string name, std::string value);
  void Print(std::ostream& out, std::string_view indent = {}) const;

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

bool IsValidUtf8(std::string_view bytes);
// `bytes` for a table cell: escaped, and cut before `max_chars` display characters (an
// escape counts 4) with "..." added.
std::string Printable(std::string_view bytes, size_t max_chars = SIZE_MAX);

std::string Base64Encode(std::string_view bytes);
// False if `text` is not padded base64.
bool Base64Decode(std::string_view text, std::string& out);

// Sets object[name] to `bytes` as described above.
void PutBytes(Json& object, const std::string& name, std::string_view bytes);
// A message's fields after whatever keys `object` already has: visible_at_ms,
// enqueued_at_ms, delivery_count, group_key, attributes, payload (export and queue peek).
void PutMessage(Json& object, const queue::Message& message);
// The bytes in object[name] (decoding base64 when marked); throws Failure (usage) when
// the field is missing or malformed.
std::string GetBytes(const Json& object, const std::string& name);

// Milliseconds since the epoch as "2026-01-01T00:00:00.000Z" (UTC).
std::string FormatTime(int64_t unix_ms);
// A duration in milliseconds as "350ms", "12.5s", "3m20s", "2h05m" or "4d03h".
std::string FormatAge(int64_t ms);

// Prints `doc` (indented 2) and a newline.
void PrintJson(std::ostream& out, const Json& doc);

}  // namespace durastore::cli

#endif  // DURASTORE_CLI_OUTPUT_H_
