#include "dataio/xlsx.hpp"

#include <expat.h>
#include <minizip/unzip.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <filesystem>
#include <functional>

#include "core/files.hpp"
#include "core/random.hpp"
#include "dataio/csv.hpp"

namespace kelu::dataio {
namespace {

Error Invalid(const std::string& why) {
  return Error::Make(ErrorKind::kInvalid, "invalid_xlsx",
                     "The file is not a readable XLSX workbook: " + why + ".");
}

// Streams one zip entry through `parser`. False when the entry is missing or broken.
bool ParseEntry(unzFile zip, const char* name, XML_Parser parser) {
  if (unzLocateFile(zip, name, 0) != UNZ_OK) return false;
  if (unzOpenCurrentFile(zip) != UNZ_OK) return false;
  std::vector<char> buf(1 << 16);
  bool ok = true;
  for (;;) {
    int n = unzReadCurrentFile(zip, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
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

bool Parse(unzFile zip, const char* entry, Handlers& h) {
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
  bool ok = ParseEntry(zip, entry, p);
  XML_ParserFree(p);
  return ok;
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
std::string FirstSheet(unzFile zip) {
  std::string rid;
  Handlers wb;
  wb.start = [&](std::string_view name, const XML_Char** attrs) {
    if (name == "sheet" && rid.empty()) rid = Attr(attrs, "id");
  };
  if (!Parse(zip, "xl/workbook.xml", wb) || rid.empty()) return "xl/worksheets/sheet1.xml";
  std::string target;
  Handlers rels;
  rels.start = [&](std::string_view name, const XML_Char** attrs) {
    if (name == "Relationship" && Attr(attrs, "Id") == rid) target = Attr(attrs, "Target");
  };
  if (!Parse(zip, "xl/_rels/workbook.xml.rels", rels) || target.empty())
    return "xl/worksheets/sheet1.xml";
  if (target.starts_with("/")) return target.substr(1);
  return "xl/" + target;
}

}  // namespace

Status XlsxToCsv(const std::string& xlsx_path, std::ostream& csv) {
  unzFile zip = unzOpen64(xlsx_path.c_str());
  if (!zip) return Invalid("not a zip archive");
  struct Closer {
    unzFile z;
    ~Closer() { unzClose(z); }
  } closer{zip};

  // Shared strings: every <si>, its text runs joined.
  std::vector<std::string> shared;
  {
    Handlers h;
    bool in_si = false, in_t = false, in_rph = false;
    std::string current;
    h.start = [&](std::string_view name, const XML_Char**) {
      if (name == "si") {
        in_si = true;
        current.clear();
      } else if (name == "rPh") {
        in_rph = true;  // phonetic guides are not part of the text
      } else if (name == "t") {
        in_t = in_si && !in_rph;
      }
    };
    h.end = [&](std::string_view name) {
      if (name == "si") {
        shared.push_back(current);
        in_si = false;
      } else if (name == "rPh") {
        in_rph = false;
      } else if (name == "t") {
        in_t = false;
      }
    };
    h.text = [&](std::string_view s) {
      if (in_t) current.append(s);
    };
    // A workbook of numbers only has no shared strings: that is fine.
    if (unzLocateFile(zip, "xl/sharedStrings.xml", 0) == UNZ_OK &&
        !Parse(zip, "xl/sharedStrings.xml", h)) {
      return Invalid("broken shared strings");
    }
  }

  std::string sheet = FirstSheet(zip);
  if (unzLocateFile(zip, sheet.c_str(), 0) != UNZ_OK) return Invalid("no worksheet");
  Handlers h;
  std::vector<std::string> row;
  std::string type, value;
  int col = -1, next_col = 0;
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
    } else if (name == "v") {
      in_v = true;
    } else if (name == "t") {
      in_t = type == "inlineStr";
    }
  };
  h.text = [&](std::string_view s) {
    if (in_v || in_t) value.append(s);
  };
  h.end = [&](std::string_view name) {
    if (name == "v") {
      in_v = false;
    } else if (name == "t") {
      in_t = false;
    } else if (name == "c") {
      if (col < 0 || col > 16384) return;
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
      csv << CsvLine(row);
      any_row = true;
    }
  };
  if (!Parse(zip, sheet.c_str(), h)) return Invalid("broken worksheet");
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
