// XLSX (Office Open XML spreadsheets): reading the first sheet of a workbook as CSV records
// (streamed: the sheet is parsed as it is inflated), and writing rows of text as a workbook.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kelu::dataio {

// Writes the first sheet of the workbook at `xlsx_path` to `csv` as UTF-8 CSV lines. Cells are
// read as text: shared and inline strings, numbers as written, booleans as TRUE/FALSE.
// 422 invalid_xlsx when the file is not a readable workbook.
Status XlsxToCsv(const std::string& xlsx_path, std::ostream& csv);

// A workbook with one sheet named `sheet` holding `rows` as text cells (never formulas).
Result<std::string> RowsToXlsx(const std::vector<std::vector<std::string>>& rows,
                               const std::string& sheet, const std::string& temp_dir);

}  // namespace kelu::dataio
