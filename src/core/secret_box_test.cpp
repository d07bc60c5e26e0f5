#include "core/secret_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/files.hpp"
#include "core/random.hpp"

namespace kelu {
namespace {

const std::string kKey(64, 'a');

TEST(SecretBox, SealedTextOpensOnlyUnderItsKey) {
  ASSERT_TRUE(InitCrypto());
  auto box = SecretBox::FromHex(kKey);
  ASSERT_TRUE(box.ok());
  std::string sealed = box->Seal("whsec_签名密钥");
  EXPECT_TRUE(SecretBox::IsSealed(sealed));
  EXPECT_EQ(sealed.find("whsec"), std::string::npos);
  EXPECT_EQ(box->Open(sealed), "whsec_签名密钥");
  EXPECT_NE(box->Seal("whsec_签名密钥"), sealed) << "a fresh nonce each time";
  auto other = SecretBox::FromHex(std::string(64, 'b'));
  EXPECT_EQ(other->Open(sealed), std::nullopt);
  std::string changed = sealed;
  changed[10] = changed[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(box->Open(changed), std::nullopt);
  EXPECT_EQ(box->Open("whsec_plain"), std::nullopt);
  EXPECT_EQ(box->Open("sb1:"), std::nullopt);
  EXPECT_EQ(box->Open("sb1:!!!"), std::nullopt);
  EXPECT_EQ(box->Open(box->Seal("")), "");
}

TEST(SecretBox, AKeyMustBe32BytesOfHex) {
  EXPECT_FALSE(SecretBox::FromHex("").ok());
  EXPECT_FALSE(SecretBox::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(SecretBox::FromHex(std::string(64, 'g')).ok());
  EXPECT_EQ(SecretBox::FromHex("x").error().code, "invalid_data_key");
}

TEST(SecretBox, AKeyFileIsMadeOnceReadableByTheOwnerOnlyAndReused) {
  ASSERT_TRUE(InitCrypto());
  auto dir = std::filesystem::temp_directory_path() / ("kelu-key-" + RandomToken(6));
  std::string path = (dir / "keys" / "data.key").string();
  auto first = SecretBox::FromKeyFile(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto second = SecretBox::FromKeyFile(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->Open(first->Seal("same key")), "same key");
  std::filesystem::resize_file(path, 31);
  EXPECT_FALSE(SecretBox::FromKeyFile(path).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kelu
