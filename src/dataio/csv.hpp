// CSV as spreadsheets write it (RFC 4180): quoted fields with "" escapes, fields spanning lines,
// CRLF or LF. The reader streams one record at a time, so memory stays flat whatever the
// file's size; the writer quotes when needed and neutralises cells that a spreadsheet would run
// as a formula. Pure apart from the stream it is given.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kelu::dataio {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  // The next record, or nullopt at the end. A record with an unterminated quote at the end of
  // the input ends there (its field keeps what was read).
  std::optional<std::vector<std::string>> Next();
  // The 1-based line on which the last record returned started.
  std::size_t line() const { return record_line_; }

 private:
  std::istream& in_;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
};

// Parses a whole CSV text (for tests and small files).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text);

// A cell that a spreadsheet would evaluate (starting with = + - @, tab or CR) gets a leading
// apostrophe, so Excel shows it as text; so does one that starts with an apostrophe already,
// so that UnneutralizeFormula gives back exactly the text that was exported.
std::string NeutralizeFormula(std::string_view cell);
// Undoes NeutralizeFormula on import: one apostrophe before = + - @, tab, CR or another
// apostrophe goes.
std::string UnneutralizeFormula(std::string_view cell);

// One CSV line (with CRLF), quoting fields that contain a comma, quote, CR or LF.
std::string CsvLine(const std::vector<std::string>& fields);

// The UTF-8 byte order mark, which makes Excel read a CSV as UTF-8.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace kelu::dataio
