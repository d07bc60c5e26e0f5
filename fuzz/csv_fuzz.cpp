// A CSV upload in whatever encoding it claims: detection, conversion to UTF-8, parsing; and a
// parsed record written back as a line parses to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataio/csv.hpp"
#include "dataio/encoding.hpp"

using namespace kelu::dataio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Encoding e = DetectEncoding(bytes.substr(0, 65536));
  auto utf8 = ToUtf8(bytes, e);
  auto records = ParseCsv(utf8.ok() ? std::string_view(*utf8) : bytes);
  for (const auto& record : records) {
    if (record.empty()) continue;
    auto back = ParseCsv(CsvLine(record));
    if (back.size() != 1 || back[0] != record) std::abort();
    for (const auto& cell : record) {
      if (UnneutralizeFormula(NeutralizeFormula(cell)) != cell) std::abort();
    }
  }
  return 0;
}
