// An uploaded workbook, read within small limits so that a run stays fast: any bytes give a
// CSV or an error, never a crash, a leak or more output than the limits allow.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "dataio/xlsx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/kelu-xlsx-fuzz-" + std::to_string(::getpid()) + ".xlsx";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kelu::dataio::SpreadsheetLimits limits{.max_inflate_ratio = 100,
                                         .max_inflated_bytes = 8 << 20,
                                         .max_shared_strings = 10000,
                                         .max_shared_string_bytes = 1 << 20,
                                         .max_cell_chars = 32767,
                                         .max_rows = 10000,
                                         .max_columns = 1000};
  std::ostringstream csv;
  auto read = kelu::dataio::XlsxToCsv(path, csv, limits);
  std::int64_t allowed = std::max<std::int64_t>(static_cast<std::int64_t>(size) * 100, 1 << 20);
  if (static_cast<std::int64_t>(csv.str().size()) > allowed) std::abort();
  (void)read;
  return 0;
}
