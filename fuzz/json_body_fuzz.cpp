// A JSON request body: the strict parse (no key twice) agrees with the plain one whenever it
// accepts, and the control-character walk reads every text of what it accepted.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.hpp"
#include "core/validation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto strict = kelu::ParseJsonBody(text);
  auto plain = kelu::ParseJson(text);
  // The strict parse accepts only what the plain one reads alike (its numbers are all finite).
  if (strict && (!plain || *strict != *plain)) std::abort();
  if (strict) kelu::FieldsWithControlCharacters(*strict);
  kelu::HasControlCharacter(text);
  kelu::Utf8Prefix(text, 200);
  return 0;
}
