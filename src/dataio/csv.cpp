#include "dataio/csv.hpp"

#include <sstream>

namespace kelu::dataio {

std::optional<std::vector<std::string>> CsvReader::Next() {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;  // inside quotes
  bool any = false;     // read anything for this record
  bool was_quoted = false;
  record_line_ = line_;
  int ch;
  while ((ch = in_.get()) != std::char_traits<char>::eof()) {
    char c = static_cast<char>(ch);
    any = true;
    if (quoted) {
      if (c == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && in_.peek() == '\n') in_.get();
      ++line_;
      fields.push_back(std::move(field));
      return fields;
    } else {
      field += c;
    }
  }
  if (!any) return std::nullopt;
  fields.push_back(std::move(field));
  return fields;
}

std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::istringstream in{std::string(text)};
  CsvReader reader(in);
  std::vector<std::vector<std::string>> out;
  while (auto r = reader.Next()) out.push_back(std::move(*r));
  return out;
}

namespace {

bool FormulaStart(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

}  // namespace

std::string NeutralizeFormula(std::string_view cell) {
  if (!cell.empty() && (FormulaStart(cell[0]) || cell[0] == '\'')) return "'" + std::string(cell);
  return std::string(cell);
}

std::string UnneutralizeFormula(std::string_view cell) {
  if (cell.size() >= 2 && cell[0] == '\'' && (FormulaStart(cell[1]) || cell[1] == '\'')) {
    return std::string(cell.substr(1));
  }
  return std::string(cell);
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

}  // namespace kelu::dataio
