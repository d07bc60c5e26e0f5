#include "dataio/xlsx.hpp"

#include <expat.h>
#include <minizip/unzip.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>

#include "core/files.hpp"
#include "core/random.hpp"
#include "dataio/csv.hpp"

namespace kelu::dataio {
namespace {

Error Invalid(const std::string& why) {
  return Error::Make(ErrorKind::kInvalid, "invalid_xlsx",
                     "The file is not a readable XLSX workbook: " + why + ".");
}

// What one read of a workbook has used of its limits; the first limit passed is kept in
// `exceeded` and stops every parse after it.
struct Budget {
  const SpreadsheetLimits& limits;
  std::int64_t inflated_allowed = 0;
  std::int64_t inflated = 0;
  std::int64_t written = 0;
  std::optional<Error> exceeded;
  XML_Parser parser = nullptr;  // the parse under way, stopped when a limit is passed

  // Returns false (and stops the parse) once `value` passes `max`.
  bool Within(std::int64_t value, std::int64_t max, const char* limit, const char* what) {
    if (value <= max) return !exceeded;
    if (!exceeded) exceeded = SpreadsheetTooLarge(limit, max, what);
    if (parser) XML_StopParser(parser, XML_FALSE);
    return false;
  }
  bool Inflated(std::int64_t n) {
    inflated += n;
    return Within(inflated, inflated_allowed, "inflated_bytes",
                  "it unpacks to more than its limit");
  }
  bool Written(std::int64_t n) {
    written += n;
    return Within(written, inflated_allowed, "inflated_bytes",
                  "its sheet becomes more text than its limit");
  }
};

// Code points in a UTF-8 fragment (its bytes that do not continue a sequence).
std::int64_t CodePoints(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Streams one zip entry through `parser`. False when the entry is missing or broken, or a
// limit of `budget` was passed.
bool ParseEntry(unzFile zip, const char* name, XML_Parser parser, Budget& budget) {
  if (unzLocateFile(zip, name, 0) != UNZ_OK) return false;
  if (unzOpenCurrentFile(zip) != UNZ_OK) return false;
  std::vector<char> buf(1 << 16);
  bool ok = true;
  for (;;) {
    int n = unzReadCurrentFile(zip, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0 || !budget.Inflated(n)) {
      ok = false;
      break;
    }
    if (XML_Parse(parser, buf.data(), n, n == 0) == XML_STATUS_ERROR) {
      ok = false;
      break;
    }
    if (n == 0) break;
  }
  unzCloseCurrentFile(zip);
  return ok;
}

// Element handlers over std::function, so each parse keeps its state in a lambda.
struct Handlers {
  std::function<void(std::string_view, const XML_Char**)> start;
  std::function<void(std::string_view)> end;
  std::function<void(std::string_view)> text;
};

std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  auto colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

bool Parse(unzFile zip, const char* entry, Handlers& h, Budget& budget) {
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &h);
  XML_SetElementHandler(
      p,
      [](void* d, const XML_Char* name, const XML_Char** attrs) {
        auto* hh = static_cast<Handlers*>(d);
        if (hh->start) hh->start(LocalName(name), attrs);
      },
      [](void* d, const XML_Char* name) {
        auto* hh = static_cast<Handlers*>(d);
        if (hh->end) hh->end(LocalName(name));
      });
  XML_SetCharacterDataHandler(p, [](void* d, const XML_Char* s, int len) {
    auto* hh = static_cast<Handlers*>(d);
    if (hh->text) hh->text(std::string_view(s, static_cast<std::size_t>(len)));
  });
  budget.parser = p;
  bool ok = ParseEntry(zip, entry, p, budget);
  budget.parser = nullptr;
  XML_ParserFree(p);
  return ok && !budget.exceeded;
}

std::string Attr(const XML_Char** attrs, std::string_view name) {
  for (int i = 0; attrs[i]; i += 2) {
    if (LocalName(attrs[i]) == name) return attrs[i + 1];
  }
  return "";
}

// "BC12" → column 54 (0-based); -1 when malformed.
int ColumnOf(const std::string& ref) {
  int col = 0;
  std::size_t i = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) col = col * 26 + (ref[i] - 'A' + 1);
  return i == 0 ? -1 : col - 1;
}

// The path inside the zip of the workbook's first sheet.
std::string FirstSheet(unzFile zip, Budget& budget) {
  std::string rid;
  Handlers wb;
  wb.start = [&](std::string_view name, const XML_Char** attrs) {
    if (name == "sheet" && rid.empty()) rid = Attr(attrs, "id");
  };
  if (!Parse(zip, "xl/workbook.xml", wb, budget) || rid.empty()) return "xl/worksheets/sheet1.xml";
  std::string target;
  Handlers rels;
  rels.start = [&](std::string_view name, const XML_Char** attrs) {
    if (name == "Relationship" && Attr(attrs, "Id") == rid) target = Attr(attrs, "Target");
  };
  if (!Parse(zip, "xl/_rels/workbook.xml.rels", rels, budget) || target.empty())
    return "xl/worksheets/sheet1.xml";
  if (target.starts_with("/")) return target.substr(1);
  return "xl/" + target;
}

}  // namespace

Error SpreadsheetTooLarge(const std::string& limit, std::int64_t max, const std::string& what) {
  return Error::Make(ErrorKind::kTooLarge, "spreadsheet_too_large",
                     "The spreadsheet is too large: " + what + " (" + limit + ", at most " +
                         std::to_string(max) + "). Split it into smaller files.",
                     boost::json::object{{"limit", limit}, {"max", max}});
}

Status XlsxToCsv(const std::string& xlsx_path, std::ostream& csv,
                 const SpreadsheetLimits& limits) {
  std::error_code size_ec;
  auto file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(xlsx_path, size_ec));
  if (size_ec) return Invalid("unreadable");
  unzFile zip = unzOpen64(xlsx_path.c_str());
  if (!zip) return Invalid("not a zip archive");
  struct Closer {
    unzFile z;
    ~Closer() { unzClose(z); }
  } closer{zip};
  Budget budget{limits};
  budget.inflated_allowed =
      std::min(limits.max_inflated_bytes,
               std::max<std::int64_t>(file_bytes * limits.max_inflate_ratio, std::int64_t{1} << 20));

  // Shared strings: every <si>, its text runs joined.
  std::vector<std::string> shared;
  {
    Handlers h;
    bool in_si = false, in_t = false, in_rph = false;
    std::string current;
    std::int64_t current_chars = 0, held = 0;
    h.start = [&](std::string_view name, const XML_Char**) {
      if (name == "si") {
        in_si = true;
        current.clear();
        current_chars = 0;
      } else if (name == "rPh") {
        in_rph = true;  // phonetic guides are not part of the text
      } else if (name == "t") {
        in_t = in_si && !in_rph;
      }
    };
    h.end = [&](std::string_view name) {
      if (name == "si") {
        if (!budget.Within(static_cast<std::int64_t>(shared.size()) + 1,
                           limits.max_shared_strings, "shared_strings",
                           "it holds more distinct texts than its limit")) {
          return;
        }
        held += static_cast<std::int64_t>(current.size());
        if (!budget.Within(held, limits.max_shared_string_bytes, "shared_string_bytes",
                           "its texts are longer than their limit")) {
          return;
        }
        shared.push_back(current);
        in_si = false;
      } else if (name == "rPh") {
        in_rph = false;
      } else if (name == "t") {
        in_t = false;
      }
    };
    h.text = [&](std::string_view s) {
      if (!in_t) return;
      current_chars += CodePoints(s);
      if (budget.Within(current_chars, limits.max_cell_chars, "cell_chars",
                        "a text is longer than a cell may be")) {
        current.append(s);
      }
    };
    // A workbook of numbers only has no shared strings: that is fine.
    if (unzLocateFile(zip, "xl/sharedStrings.xml", 0) == UNZ_OK &&
        !Parse(zip, "xl/sharedStrings.xml", h, budget)) {
      if (budget.exceeded) return *budget.exceeded;
      return Invalid("broken shared strings");
    }
  }

  std::string sheet = FirstSheet(zip, budget);
  if (budget.exceeded) return *budget.exceeded;
  if (unzLocateFile(zip, sheet.c_str(), 0) != UNZ_OK) return Invalid("no worksheet");
  Handlers h;
  std::vector<std::string> row;
  std::string type, value;
  int col = -1, next_col = 0;
  std::int64_t rows = 0, value_chars = 0;
  bool in_v = false, in_t = false, any_row = false;
  Status status = OkStatus();
  h.start = [&](std::string_view name, const XML_Char** attrs) {
    if (name == "row") {
      row.clear();
      next_col = 0;
    } else if (name == "c") {
      std::string ref = Attr(attrs, "r");
      col = ref.empty() ? next_col : ColumnOf(ref);
      type = Attr(attrs, "t");
      value.clear();
      value_chars = 0;
      budget.Within(col + 1, limits.max_columns, "columns", "a row has more columns than its limit");
    } else if (name == "v") {
      in_v = true;
    } else if (name == "t") {
      in_t = type == "inlineStr";
    }
  };
  h.text = [&](std::string_view s) {
    if (!in_v && !in_t) return;
    value_chars += CodePoints(s);
    if (budget.Within(value_chars, limits.max_cell_chars, "cell_chars",
                      "a cell is longer than a cell may be")) {
      value.append(s);
    }
  };
  h.end = [&](std::string_view name) {
    if (name == "v") {
      in_v = false;
    } else if (name == "t") {
      in_t = false;
    } else if (name == "c") {
      if (col < 0 || budget.exceeded) return;
      std::string text = value;
      if (type == "s") {
        std::size_t index = std::strtoul(value.c_str(), nullptr, 10);
        if (index >= shared.size()) {
          status = Invalid("a cell refers to a missing shared string");
          return;
        }
        text = shared[index];
      } else if (type == "b") {
        text = value == "1" ? "TRUE" : "FALSE";
      }
      if (static_cast<std::size_t>(col) >= row.size()) row.resize(col + 1);
      row[col] = std::move(text);
      next_col = col + 1;
    } else if (name == "row") {
      if (!budget.Within(++rows, limits.max_rows, "rows", "it has more rows than its limit")) {
        return;
      }
      std::string line = CsvLine(row);
      if (!budget.Written(static_cast<std::int64_t>(line.size()))) return;
      csv << line;
      any_row = true;
    }
  };
  if (!Parse(zip, sheet.c_str(), h, budget)) {
    if (budget.exceeded) return *budget.exceeded;
    return Invalid("broken worksheet");
  }
  if (!status.ok()) return status;
  if (!any_row) return Invalid("the first sheet is empty");
  return OkStatus();
}

Result<std::string> RowsToXlsx(const std::vector<std::vector<std::string>>& rows,
                               const std::string& sheet, const std::string& temp_dir) {
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  auto named = PathUnder(temp_dir, {"export-" + RandomToken(12) + ".xlsx"});
  if (!named.ok()) {
    return Error::Make(ErrorKind::kUnavailable, "storage_unavailable",
                       "Cannot write the workbook.");
  }
  const std::string& path = *named;
  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb)
    return Error::Make(ErrorKind::kUnavailable, "storage_unavailable",
                       "Cannot write the workbook.");
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet.c_str());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (rows[r][c].empty()) continue;
      // Strings only: a cell starting with '=' stays text, never a formula.
      worksheet_write_string(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                             rows[r][c].c_str(), nullptr);
    }
  }
  if (workbook_close(wb) != LXW_NO_ERROR) {
    std::filesystem::remove(path);
    return Error::Make(ErrorKind::kUnavailable, "storage_unavailable",
                       "Cannot write the workbook.");
  }
  std::string bytes = ReadFile(path).value_or("");
  std::filesystem::remove(path);
  return bytes;
}

}  // namespace kelu::dataio
