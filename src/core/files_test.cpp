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
