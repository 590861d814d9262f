// Fuzzes lease token parsing (queue::LeaseToken::FromHex, used by the C API for every lease
// and by callers that keep tokens as text): any bytes must parse or give InvalidArgument;
// what parses is exactly 32 hex digits and prints back as the same digits in lower case.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "durastore/queue.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore;
  std::string_view hex(reinterpret_cast<const char*>(data), size);
  auto t = queue::LeaseToken::FromHex(hex);
  bool well_formed = size == 32;
  for (char c : hex) well_formed = well_formed && std::isxdigit(static_cast<unsigned char>(c));
  if (!t.ok()) {
    if (t.status().code() != Code::kInvalidArgument)
      fuzz::Fail("FromHex: " + t.status().ToString());
    if (well_formed) fuzz::Fail("FromHex rejected 32 hex digits");
    return 0;
  }
  if (!well_formed) fuzz::Fail("FromHex accepted malformed input");
  std::string lower(hex);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t->ToHex() != lower) fuzz::Fail("ToHex(FromHex(x)) != lower(x)");
  return 0;
}
