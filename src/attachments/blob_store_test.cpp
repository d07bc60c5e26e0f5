#include "attachments/blob_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/random.hpp"

namespace kelu::attachments {
namespace {

namespace fs = std::filesystem;

const std::string kSha(64, 'a');

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    dir_ = fs::temp_directory_path() / ("kelu-blobs-" + RandomToken(6));
    fs::create_directories(dir_);
    store_ = MakeLocalBlobStore(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Temp(const std::string& bytes) {
    std::string t = store_->TempPath();
    std::ofstream(t, std::ios::binary) << bytes;
    return t;
  }
  fs::path dir_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobStoreTest, ABlobIsNamedOnlyByItsDigestUnderItsTenant) {
  ASSERT_TRUE(store_->Put(7, kSha, Temp("合同")).ok());
  auto p = store_->Path(7, kSha);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (dir_ / "blobs" / "7" / "aa" / kSha).string());
  EXPECT_FALSE(store_->Path(8, kSha).ok()) << "another tenant's blob is not there";
}

TEST_F(BlobStoreTest, ADigestFromARowThatIsNotOneNamesNoFile) {
  std::ofstream(dir_ / "secret") << "root:x:0:0";
  for (const std::string& bad : {std::string("../../secret"), std::string("/etc/passwd"),
                                 std::string(64, 'A'), "../" + std::string(61, 'a'),
                                 std::string(63, 'a'), std::string()}) {
    auto named = BlobFilePath((dir_ / "blobs").string(), 7, bad);
    ASSERT_FALSE(named.ok()) << bad;
    EXPECT_EQ(named.error().code, "path_refused");
    EXPECT_FALSE(store_->Path(7, bad).ok()) << bad;
    EXPECT_FALSE(store_->Put(7, bad, Temp("x")).ok()) << bad;
  }
}

TEST_F(BlobStoreTest, ATenantDirectoryThatLinksOutIsNotFollowed) {
  fs::create_directories(dir_ / "outside" / "aa");
  std::ofstream(dir_ / "outside" / "aa" / kSha) << "not ours";
  fs::create_directories(dir_ / "blobs");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "blobs" / "9");
  EXPECT_FALSE(store_->Path(9, kSha).ok());
  EXPECT_FALSE(store_->Put(9, kSha, Temp("x")).ok());
  EXPECT_EQ(store_->RemoveTenant(9), 0);
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "aa" / kSha)) << "the purge did not follow the link";
}

TEST_F(BlobStoreTest, AListingSkipsFilesThatAreNoBlob) {
  ASSERT_TRUE(store_->Put(7, kSha, Temp("x")).ok());
  std::ofstream(dir_ / "blobs" / "7" / "aa" / "notes.txt") << "x";
  int seen = 0;
  store_->ForEach([&](const BlobEntry& e) {
    EXPECT_EQ(e.sha256, kSha);
    ++seen;
  });
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace kelu::attachments
