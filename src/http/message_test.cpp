#include "http/message.hpp"

#include <gtest/gtest.h>

namespace kelu::http {
namespace {

TEST(Message, ParsesTargetWithDecodedQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  ASSERT_TRUE(ParseTarget("/api/v1/users?limit=5&q=%E5%BC%A0", path, query));
  EXPECT_EQ(path, "/api/v1/users");
  EXPECT_EQ(query.find("limit")->second, "5");
  EXPECT_EQ(query.find("q")->second, "张");
}

TEST(Message, RejectsMalformedTargets) {
  std::string path;
  std::multimap<std::string, std::string> query;
  EXPECT_FALSE(ParseTarget("not a path", path, query));
  EXPECT_FALSE(ParseTarget("/a%zz", path, query));
}

TEST(Message, ReadsCookiesAndHeadersCaseInsensitively) {
  Request r;
  r.headers = {{"cookie", "a=1; kelu_session=ks_1_2_abc; b=2"}, {"x-csrf-token", "t"}};
  EXPECT_EQ(r.cookie("kelu_session"), "ks_1_2_abc");
  EXPECT_FALSE(r.cookie("missing"));
  EXPECT_EQ(r.header("X-CSRF-Token"), "t");
}

}  // namespace
}  // namespace kelu::http
