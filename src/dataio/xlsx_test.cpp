#include "dataio/xlsx.hpp"

#include <gtest/gtest.h>
#include <minizip/zip.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "dataio/csv.hpp"

namespace kelu::dataio {
namespace {

TEST(Xlsx, WrittenWorkbookReadsBackAsTheSameRows) {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("kelu-xlsx-" + std::to_string(::getpid())))
          .string();
  std::vector<std::vector<std::string>> rows = {
      {"客户名称", "电话", "备注"},
      {"杭州客录科技有限公司", "0571-8888 6666", "=SUM(1,2)"},
      {"多行", "", "第一行\n第二行, 含逗号"},
      {"", "只有第二列", ""}};
  auto bytes = RowsToXlsx(rows, "客户", dir);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_TRUE(bytes->starts_with("PK"));
  std::string path = dir + "/book.xlsx";
  std::ofstream(path, std::ios::binary) << *bytes;
  std::ostringstream csv;
  ASSERT_TRUE(XlsxToCsv(path, csv).ok());
  auto back = ParseCsv(csv.str());
  ASSERT_EQ(back.size(), rows.size());
  EXPECT_EQ(back[1], rows[1]);  // the formula-like cell stays text
  EXPECT_EQ(back[2], rows[2]);
  EXPECT_EQ(back[3], (std::vector<std::string>{"", "只有第二列"}));
  std::filesystem::remove_all(dir);
}

TEST(Xlsx, NotAWorkbookIsInvalid) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("kelu-not-xlsx-" + std::to_string(::getpid())))
          .string();
  std::ofstream(path) << "name,phone\n";
  std::ostringstream csv;
  auto s = XlsxToCsv(path, csv);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid_xlsx");
  std::filesystem::remove(path);
}

// A workbook written entry by entry, each entry's text produced in pieces by a function (so a
// test can make one that inflates to hundreds of MiB without holding it).
class Book {
 public:
  explicit Book(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("kelu-book-" + std::to_string(::getpid()) + "-" + name + ".xlsx"))
                  .string()) {
    zip_ = zipOpen64(path_.c_str(), 0);
  }
  ~Book() { std::filesystem::remove(path_); }
  Book& Entry(const char* name, const std::function<bool(std::string&)>& next_piece) {
    zipOpenNewFileInZip64(zip_, name, nullptr, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED, 9, 1);
    std::string piece;
    while (next_piece(piece)) {
      zipWriteInFileInZip(zip_, piece.data(), static_cast<unsigned>(piece.size()));
      piece.clear();
    }
    zipCloseFileInZip(zip_);
    return *this;
  }
  Book& Entry(const char* name, const std::string& text) {
    bool done = false;
    return Entry(name, [&](std::string& out) {
      if (done) return false;
      out = text;
      return done = true;
    });
  }
  // The sheet: `head` (rows of XML), then `pieces` times `repeated`, then the end.
  Book& Sheet(const std::string& head, const std::string& repeated, std::int64_t pieces) {
    std::int64_t step = 0;  // 0: the head, 1..pieces: repeated, pieces + 1: the end
    return Entry("xl/worksheets/sheet1.xml", [&](std::string& out) {
      if (step > pieces + 1) return false;
      if (step == 0) {
        out = R"(<?xml version="1.0"?><worksheet><sheetData>)" + head;
      } else if (step <= pieces) {
        out = repeated;
      } else {
        out = "</sheetData></worksheet>";
      }
      ++step;
      return true;
    });
  }
  const std::string& Close() {
    zipClose(zip_, nullptr);
    return path_;
  }

 private:
  std::string path_;
  zipFile zip_;
};

Status Read(const std::string& path, const SpreadsheetLimits& limits, std::string* out = nullptr) {
  std::ostringstream csv;
  Status s = XlsxToCsv(path, csv, limits);
  if (out) *out = csv.str();
  return s;
}

void ExpectLimit(const Status& s, const std::string& limit) {
  ASSERT_FALSE(s.ok()) << "no limit was passed";
  EXPECT_EQ(s.error().code, "spreadsheet_too_large");
  EXPECT_EQ(s.error().kind, ErrorKind::kTooLarge);
  EXPECT_EQ(s.error().details.at("limit").as_string(), limit) << s.error().message;
}

const std::string kRow = R"(<row><c t="inlineStr"><is><t>客户</t></is></c><c><v>1</v></c></row>)";

TEST(XlsxLimits, ASmallFileThatInflatesHugelyIsStoppedAtItsRatio) {
  // About 256 MiB of rows deflate to well under 1 MiB.
  Book book("bomb");
  const std::string& path = book.Sheet(kRow, std::string(1 << 20, ' '), 256).Close();
  auto size = static_cast<std::int64_t>(std::filesystem::file_size(path));
  EXPECT_LT(size, 1 << 20);
  std::string csv;
  ExpectLimit(Read(path, {}, &csv), "inflated_bytes");
  EXPECT_LE(csv.size(), 1u << 20);
  // The same file is read whole when the ratio allows it.
  EXPECT_TRUE(Read(path, {.max_inflate_ratio = 10000, .max_inflated_bytes = 1LL << 30}).ok());
  ExpectLimit(Read(path, {.max_inflate_ratio = 10000, .max_inflated_bytes = 64LL << 20}),
              "inflated_bytes");
}

TEST(XlsxLimits, RowsColumnsAndCellsStopAtTheirLimits) {
  Book rows("rows");
  ExpectLimit(Read(rows.Sheet(kRow, kRow, 100).Close(), {.max_rows = 50}), "rows");
  Book exact("exact");
  EXPECT_TRUE(Read(exact.Sheet(kRow, kRow, 49).Close(), {.max_rows = 50}).ok());

  Book wide("wide");
  ExpectLimit(Read(wide.Sheet(R"(<row><c r="AB1"><v>1</v></c></row>)", "", 0).Close(),
                   {.max_columns = 27}),
              "columns");
  Book wide_ok("wide-ok");
  Status wide_read = Read(wide_ok.Sheet(R"(<row><c r="AA1"><v>1</v></c></row>)", "", 0).Close(),
                          {.max_columns = 27});
  EXPECT_TRUE(wide_read.ok()) << wide_read.error().message;

  Book cell("cell");
  std::string ten = "<row><c t=\"inlineStr\"><is><t>" + std::string(10, 'x') + "</t></is></c></row>";
  std::string eleven =
      "<row><c t=\"inlineStr\"><is><t>" + std::string(6, 'x') + "客户账号x" + "</t></is></c></row>";
  ExpectLimit(Read(cell.Sheet(eleven, "", 0).Close(), {.max_cell_chars = 10}), "cell_chars");
  Book cell_ok("cell-ok");
  EXPECT_TRUE(Read(cell_ok.Sheet(ten, "", 0).Close(), {.max_cell_chars = 10}).ok());
  // Excel's own limit by default: 32 767 characters in a cell.
  Book excel("excel");
  std::string big = "<row><c t=\"inlineStr\"><is><t>" + std::string(32768, 'x') + "</t></is></c></row>";
  ExpectLimit(Read(excel.Sheet(big, "", 0).Close(), {}), "cell_chars");
}

TEST(XlsxLimits, SharedStringsAreBoundedInCountAndBytes) {
  auto strings = [](int n, int length) {
    std::string xml = R"(<?xml version="1.0"?><sst>)";
    for (int i = 0; i < n; ++i) xml += "<si><t>" + std::string(length, 'a') + "</t></si>";
    return xml + "</sst>";
  };
  const std::string ref = R"(<row><c t="s"><v>0</v></c></row>)";
  Book many("many");
  ExpectLimit(Read(many.Entry("xl/sharedStrings.xml", strings(101, 1)).Sheet(ref, "", 0).Close(),
                   {.max_shared_strings = 100}),
              "shared_strings");
  Book long_texts("long");
  ExpectLimit(
      Read(long_texts.Entry("xl/sharedStrings.xml", strings(10, 200)).Sheet(ref, "", 0).Close(),
           {.max_shared_string_bytes = 1000}),
      "shared_string_bytes");
  Book fits("fits");
  std::string csv;
  EXPECT_TRUE(Read(fits.Entry("xl/sharedStrings.xml", strings(100, 10)).Sheet(ref, "", 0).Close(),
                   {.max_shared_strings = 100, .max_shared_string_bytes = 1000}, &csv)
                  .ok());
  EXPECT_EQ(csv, "aaaaaaaaaa\r\n");
}

}  // namespace
}  // namespace kelu::dataio
