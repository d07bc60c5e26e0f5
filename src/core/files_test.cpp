#include "core/files.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace kelu {
namespace {

TEST(Files, ReadFileReturnsEveryByteOrNothing) {
  auto path = (std::filesystem::temp_directory_path() / "kelu-files-test.bin").string();
  std::string bytes("a\0b\r\n合同", 10);
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_EQ(ReadFile(path), bytes);
  std::filesystem::remove(path);
  EXPECT_EQ(ReadFile(path), std::nullopt);
}

class PathUnderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("kelu-path-under-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "imports" / "7");
    std::ofstream(root_ / "imports" / "7" / "1.csv") << "a";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root() const { return root_.string(); }
  std::filesystem::path root_;
};

TEST_F(PathUnderTest, PlainNamesInsideTheRootAreJoined) {
  auto p = PathUnder(root(), {"imports", "7", "1.csv"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (root_ / "imports" / "7" / "1.csv").string());
  EXPECT_EQ(ReadFile(*p), "a");
  // A file not written yet is still named (uploads and exports create theirs).
  EXPECT_TRUE(PathUnder(root(), {"imports", "8", "2.csv"}).ok());
  EXPECT_TRUE(PathUnder(root() + "/", {"x"}).ok());
  EXPECT_TRUE(PathUnder(root(), {"合同 1.pdf"}).ok());
}

TEST_F(PathUnderTest, RefusesEveryPartThatIsNotOnePlainName) {
  for (std::string_view bad : {"", ".", "..", "/etc/passwd", "/", "a/b", "..\\..\\x", "a\\b",
                               "//etc", "a\nb", "\x7f"}) {
    auto p = PathUnder(root(), {"imports", bad});
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, "path_refused");
    EXPECT_EQ(p.error().kind, ErrorKind::kNotFound);
  }
  EXPECT_FALSE(PathUnder(root(), {std::string_view("a\0b", 3)}).ok());
  EXPECT_FALSE(PathUnder(root(), {std::string(256, 'a')}).ok());
  EXPECT_TRUE(PathUnder(root(), {std::string(255, 'a')}).ok());
  EXPECT_FALSE(PathUnder(root(), {}).ok()) << "the root itself is not a file under it";
  EXPECT_FALSE(PathUnder("", {"a"}).ok());
}

TEST_F(PathUnderTest, RefusesSymbolicLinksThatLeadOutOfTheRoot) {
  std::filesystem::create_directory_symlink("/etc", root_ / "imports" / "9");
  std::filesystem::create_symlink("/etc/passwd", root_ / "passwd");
  std::filesystem::create_symlink(root_ / "imports" / "7" / "1.csv", root_ / "inside");
  EXPECT_FALSE(PathUnder(root(), {"imports", "9", "passwd"}).ok());
  EXPECT_FALSE(PathUnder(root(), {"imports", "9"}).ok());
  EXPECT_FALSE(PathUnder(root(), {"passwd"}).ok());
  EXPECT_TRUE(PathUnder(root(), {"inside"}).ok()) << "a link that stays inside is a file inside";
}

TEST_F(PathUnderTest, ARootNamedRelativelyOrThroughALinkWorksTheSame) {
  std::filesystem::create_directory_symlink(root_, root_.string() + "-link");
  EXPECT_TRUE(PathUnder(root_.string() + "-link", {"imports", "7", "1.csv"}).ok());
  std::filesystem::remove(root_.string() + "-link");
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(root_);
  EXPECT_TRUE(PathUnder("imports", {"7", "1.csv"}).ok());
  EXPECT_FALSE(PathUnder("imports", {"..", "x"}).ok());
  EXPECT_TRUE(PathUnder("not-made-yet", {"x"}).ok());
  std::filesystem::current_path(cwd);
}

TEST(Files, IsSha256HexTakesOnlyTheStoresOwnSpelling) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_TRUE(IsSha256Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex("../" + std::string(61, 'a')));
}

TEST(Files, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(PercentEncode("合同 1/2.pdf"), "%E5%90%88%E5%90%8C%201%2F2.pdf");
  EXPECT_EQ(PercentEncode("a=b&c"), "a%3Db%26c");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(Files, RetryBackoffDoublesUpToTheCap) {
  EXPECT_EQ(RetryBackoffMicros(30, 1, 16), 30'000'000);
  EXPECT_EQ(RetryBackoffMicros(30, 2, 16), 60'000'000);
  EXPECT_EQ(RetryBackoffMicros(30, 4, 16), 240'000'000);
  EXPECT_EQ(RetryBackoffMicros(1, 100, 3), 8'000'000);
}

}  // namespace
}  // namespace kelu
