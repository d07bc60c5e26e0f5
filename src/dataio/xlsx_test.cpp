#include "dataio/xlsx.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace kelu::dataio
