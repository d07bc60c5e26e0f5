// XLSX (Office Open XML spreadsheets): reading the first sheet of a workbook as CSV records
// (streamed: the sheet is parsed as it is inflated), and writing rows of text as a workbook.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kelu::dataio {

// How much a workbook may hold ([files] in kelu.toml). A zip inflates up to a thousand times
// its size, so every limit is checked while reading: past one, the read stops at once.
struct SpreadsheetLimits {
  // Bytes inflated from the zip, and CSV bytes written from them: at most `max_inflate_ratio`
  // times the file's size (but 1 MiB for any file) and never more than `max_inflated_bytes`.
  std::int64_t max_inflate_ratio = 100;
  std::int64_t max_inflated_bytes = std::int64_t{1} << 30;
  // Shared strings are the one part held in memory until the sheet is read.
  std::int64_t max_shared_strings = 1'000'000;
  std::int64_t max_shared_string_bytes = std::int64_t{128} << 20;
  std::int64_t max_cell_chars = 32'767;  // Excel's own limits
  std::int64_t max_rows = 1'048'576;
  std::int64_t max_columns = 16'384;
};

// 413 spreadsheet_too_large naming `limit` (details.limit, details.max).
Error SpreadsheetTooLarge(const std::string& limit, std::int64_t max, const std::string& what);

// Writes the first sheet of the workbook at `xlsx_path` to `csv` as UTF-8 CSV lines. Cells are
// read as text: shared and inline strings, numbers as written, booleans as TRUE/FALSE.
// 422 invalid_xlsx when the file is not a readable workbook; 413 spreadsheet_too_large past
// one of `limits`, with nothing more read or written.
Status XlsxToCsv(const std::string& xlsx_path, std::ostream& csv,
                 const SpreadsheetLimits& limits = {});

// A workbook with one sheet named `sheet` holding `rows` as text cells (never formulas).
Result<std::string> RowsToXlsx(const std::vector<std::vector<std::string>>& rows,
                               const std::string& sheet, const std::string& temp_dir);

}  // namespace kelu::dataio
