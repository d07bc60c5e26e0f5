// Addresses as proxies and configuration write them: parsing, ranges, and the client of a
// request from its X-Forwarded-For lines (each line of the input one header).
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/net_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= all.size();) {
    auto nl = all.find('\n', start);
    lines.push_back(all.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (auto a = kelu::ParseIpAddress(lines[0])) kelu::IsNonPublicAddress(*a);
  kelu::ParseIpRange(lines[0]);
  static const auto trusted = *kelu::ParseIpRanges("127.0.0.0/8, ::1, 10.0.0.0/8");
  kelu::ClientAddress(lines[0], std::vector<std::string_view>(lines.begin() + 1, lines.end()), trusted);
  return 0;
}
