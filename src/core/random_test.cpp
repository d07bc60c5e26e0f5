#include "core/random.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

namespace kelu {
namespace {

TEST(Digests, Base64EncodeIsStandardWithPadding) {
  ASSERT_TRUE(InitCrypto());
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("客录"), "5a6i5b2V");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe", 2)), "//4=");
}

// RFC 4231, test case 2.
TEST(Digests, HmacSha256MatchesTheRfc) {
  ASSERT_TRUE(InitCrypto());
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(UniqueId, IsSixteenBase64UrlCharactersAndDoesNotRepeat) {
  ASSERT_TRUE(InitCrypto());
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    std::string id = UniqueId();
    ASSERT_EQ(id.size(), 16u);
    for (char c : id) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    ASSERT_TRUE(seen.insert(id).second) << "repeated " << id;
  }
  // Other threads draw other sequences.
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& ids : drawn) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 10000; ++i) ids.push_back(UniqueId());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& ids : drawn) {
    for (const auto& id : ids) ASSERT_TRUE(seen.insert(id).second) << "repeated " << id;
  }
}

TEST(UniqueId, AForkedChildDoesNotRepeatItsParent) {
  ASSERT_TRUE(InitCrypto());
  UniqueId();  // the generator of this thread is seeded before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string id = UniqueId();
    (void)!write(fds[1], id.data(), id.size());
    _exit(0);
  }
  close(fds[1]);
  char buf[16];
  ASSERT_EQ(read(fds[0], buf, sizeof buf), 16);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_NE(std::string(buf, 16), UniqueId());
}

}  // namespace
}  // namespace kelu
