// The table and JSON printing of the durastore command (output.h).
#include "output.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

#include "cli.h"

namespace durastore::cli {
namespace {

// Length of the valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points
// past U+10FFFF) starting at bytes[i], or 0 if there is none.
size_t Utf8SequenceLength(std::string_view bytes, size_t i) {
  const auto b = [&](size_t j) { return static_cast<unsigned char>(bytes[j]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > bytes.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t j = 2; j < n; ++j) {
    if (b(i + j) < 0x80 || b(i + j) > 0xBF) return 0;
  }
  return n;
}

std::string Hex(unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

// Characters a terminal shows for `s` (UTF-8 continuation bytes take no column).
size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

Table::Table(std::vector<std::string> headers, std::vector<bool> right_aligned)
    : headers_(std::move(headers)), right_(std::move(right_aligned)) {
  right_.resize(headers_.size(), false);
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = DisplayWidth(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(width[c] - DisplayWidth(row[c]), ' ');
      line += right_[c] ? pad + row[c] : row[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

void KeyValues::Add(std::string name, std::string value) {
  rows_.emplace_back(std::move(name), std::move(value));
}

void KeyValues::Print(std::ostream& out, std::string_view indent) const {
  size_t width = 0;
  for (const auto& [name, value] : rows_) width = std::max(width, name.size());
  for (const auto& [name, value] : rows_) {
    std::string line =
        std::string(indent) + name + std::string(width - name.size() + 2, ' ') + value;
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  }
}

bool IsValidUtf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Printable(std::string_view bytes, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    const size_t n = Utf8SequenceLength(bytes, i);
    const bool escape = n == 0 || c < 0x20 || c == 0x7F;
    const size_t width = escape ? 4 : 1;
    if (chars + width > max_chars) {
      out += "...";
      break;
    }
    if (escape) {
      out += Hex(c);
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
    chars += width;
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64[v & 63] : '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      v <<= 6;
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      const size_t d = kBase64.find(c);
      if (d == std::string_view::npos) return false;
      v |= static_cast<uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return true;
}

void PutBytes(Json& object, const std::string& name, std::string_view bytes) {
  if (IsValidUtf8(bytes)) {
    object[name] = std::string(bytes);
  } else {
    object[name] = Base64Encode(bytes);
    object[name + "_encoding"] = "base64";
  }
}

void PutMessage(Json& object, const queue::Message& message) {
  object["visible_at_ms"] = message.visible_at_ms;
  object["enqueued_at_ms"] = message.enqueued_at_ms;
  object["delivery_count"] = message.delivery_count;
  PutBytes(object, "group_key", message.group_key);
  object["attributes"] = Json::array();
  for (const auto& a : message.attributes) {
    Json attr;
    PutBytes(attr, "name", a.name);
    PutBytes(attr, "value", a.value);
    object["attributes"].push_back(std::move(attr));
  }
  PutBytes(object, "payload", message.payload);
}

std::string GetBytes(const Json& object, const std::string& name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    throw Failure(kExitUsage, "field '" + name + "' is missing or not a string");
  }
  const std::string& text = it->get_ref<const std::string&>();
  auto enc = object.find(name + "_encoding");
  if (enc == object.end()) return text;
  if (*enc != "base64") {
    throw Failure(kExitUsage, "field '" + name + "_encoding' must be \"base64\"");
  }
  std::string out;
  if (!Base64Decode(text, out)) throw Failure(kExitUsage, "field '" + name + "' is not base64");
  return out;
}

std::string FormatTime(int64_t unix_ms) {
  const int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const int64_t millis = unix_ms - secs * 1000;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_ms) + "ms";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string FormatAge(int64_t ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else if (ms < 86'400'000) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(ms / 86'400'000),
                  static_cast<long long>(ms / 3'600'000 % 24));
  }
  return buf;
}

void PrintJson(std::ostream& out, const Json& doc) { out << doc.dump(2) << "\n"; }

}  // namespace durastore::cli
