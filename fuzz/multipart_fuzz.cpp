// A multipart/form-data upload: the first line is the Content-Type, the rest the body. The part
// found must lie inside the body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  auto nl = all.find('\n');
  std::string_view type = all.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
  auto part = kelu::http::MultipartFilePart(type, body);
  if (part && (part->second.data() < body.data() ||
               part->second.data() + part->second.size() > body.data() + body.size())) {
    std::abort();
  }
  return 0;
}
