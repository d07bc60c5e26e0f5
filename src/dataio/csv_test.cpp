#include "dataio/csv.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "dataio/encoding.hpp"

namespace kelu::dataio {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(Csv, ParsesQuotesEscapesAndLineBreaks) {
  auto rows = ParseCsv("名称,备注\r\n\"客录, 科技\",\"他说\"\"好\"\"\"\n\"多行\n备注\",x\nlast,");
  EXPECT_EQ(
      rows,
      (Rows{{"名称", "备注"}, {"客录, 科技", "他说\"好\""}, {"多行\n备注", "x"}, {"last", ""}}));
}

TEST(Csv, CountsLinesOfRecordsThatSpanLines) {
  std::istringstream in("a\n\"b\nc\"\nd\n");
  CsvReader r(in);
  r.Next();
  EXPECT_EQ(r.line(), 1u);
  r.Next();
  EXPECT_EQ(r.line(), 2u);
  r.Next();
  EXPECT_EQ(r.line(), 4u);
  EXPECT_FALSE(r.Next());
}

TEST(Csv, WriterQuotesOnlyWhenNeededAndRoundTrips) {
  std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  std::string line = CsvLine(fields);
  EXPECT_EQ(line, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
  EXPECT_EQ(ParseCsv(line).front(), fields);
}

TEST(Csv, FormulaCellsAreNeutralisedAndRestored) {
  for (std::string cell : {"=1+1", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx"}) {
    std::string safe = NeutralizeFormula(cell);
    EXPECT_EQ(safe[0], '\'') << cell;
    EXPECT_EQ(UnneutralizeFormula(safe), cell);
  }
  EXPECT_EQ(NeutralizeFormula("客录"), "客录");
  // Found by fuzzing: a cell that begins with an apostrophe came back without it.
  for (std::string_view cell : {"'+86 138", "'=x", "'", "''+x", "'abc", "'"}) {
    EXPECT_EQ(UnneutralizeFormula(NeutralizeFormula(cell)), cell) << cell;
  }
  EXPECT_EQ(NeutralizeFormula("'abc"), "''abc");
  EXPECT_EQ(UnneutralizeFormula("'abc"), "'abc") << "a foreign file's apostrophe stays";
  EXPECT_EQ(UnneutralizeFormula("'plain"), "'plain");
}

TEST(Encoding, DetectsBomUtf8AndGb18030) {
  EXPECT_EQ(DetectEncoding("\xEF\xBB\xBF名称"), Encoding::kUtf8Bom);
  EXPECT_EQ(DetectEncoding("名称,电话"), Encoding::kUtf8);
  // "名称" in GB18030.
  EXPECT_EQ(DetectEncoding("\xC3\xFB\xB3\xC6"), Encoding::kGb18030);
  // A UTF-8 prefix cut inside a character is still UTF-8.
  std::string cut = "名称";
  EXPECT_EQ(DetectEncoding(std::string_view(cut).substr(0, 4)), Encoding::kUtf8);
}

TEST(Encoding, ConvertsGb18030AndStripsTheBom) {
  auto gb = ToUtf8("\xC3\xFB\xB3\xC6,\xB5\xE7\xBB\xB0", Encoding::kGb18030);
  ASSERT_TRUE(gb.ok());
  EXPECT_EQ(*gb, "名称,电话");
  auto bom = ToUtf8("\xEF\xBB\xBFx", Encoding::kUtf8Bom);
  EXPECT_EQ(*bom, "x");
  auto bad = ToUtf8("ok\xFF\xFE", Encoding::kUtf8);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_encoding");
}

TEST(Encoding, ConvertsAcrossChunkBoundaries) {
  std::string big;
  for (int i = 0; i < 30000; ++i) big += "客录";  // 180 000 bytes: several 64 KiB chunks
  auto same = ToUtf8(big, Encoding::kUtf8);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, big);
  std::string gb;
  for (int i = 0; i < 40000; ++i) gb += "\xC3\xFB\xB3\xC6";
  auto converted = ToUtf8(gb, Encoding::kGb18030);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(converted->size(), 40000u * 6);
}

}  // namespace
}  // namespace kelu::dataio
