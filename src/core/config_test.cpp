#include "core/config.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

TEST(Config, DefaultsWhenEmpty) {
  auto c = ParseConfig("", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->database.url, "sqlite:data/kelu.db");
  EXPECT_EQ(c->security.argon2_memory_kib, 19 * 1024);
}

TEST(Config, ReadsTomlValues) {
  auto c = ParseConfig(
      "[server]\nlisten = \"0.0.0.0:9000\"\nthreads = 4\n[security]\n"
      "password_policy = \"dengbao\"\n",
      {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c->server.threads, 4);
  EXPECT_EQ(c->security.password_policy, "dengbao");
}

TEST(Config, UnknownKeyIsNamed) {
  auto c = ParseConfig("[server]\nlistn = \"x\"\n", {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "invalid_config");
  EXPECT_NE(c.error().message.find("server.listn"), std::string::npos);
}

TEST(Config, UnknownSectionIsNamed) {
  auto c = ParseConfig("[servers]\nlisten = \"x\"\n", {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("[servers]"), std::string::npos);
}

TEST(Config, BadValueIsNamed) {
  auto c = ParseConfig("[server]\nthreads = \"four\"\n", {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("server.threads must be an integer"), std::string::npos);
  auto d = ParseConfig("[security]\nargon2_memory_kib = 1024\n", {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("argon2_memory_kib"), std::string::npos);
}

TEST(Config, EnvironmentOverridesFile) {
  auto c = ParseConfig("[server]\nlisten = \"127.0.0.1:1\"\n",
                       {{"KELU_SERVER_LISTEN", "127.0.0.1:2"}, {"KELU_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.listen, "127.0.0.1:2");
  EXPECT_EQ(c->log.level, "debug");
}

TEST(Config, BadEnvironmentValueIsNamed) {
  auto c = ParseConfig("", {{"KELU_SERVER_TRUST_PROXY", "maybe"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("KELU_SERVER_TRUST_PROXY"), std::string::npos);
  auto d = ParseConfig("", {{"KELU_SECURITY_NO_SUCH", "1"}});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("security.no_such"), std::string::npos);
}

TEST(Config, SyntaxErrorGivesTheLine) {
  auto c = ParseConfig("[server]\nlisten = \n", {}, "my.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("my.toml:2"), std::string::npos);
}

TEST(Config, ValidatesZoneAndTimes) {
  EXPECT_FALSE(ParseConfig("[business]\ntimezone = \"Nowhere/Land\"\n", {}).ok());
  EXPECT_FALSE(ParseConfig("[business]\ndaily_jobs_at = \"25:00\"\n", {}).ok());
  EXPECT_FALSE(ParseConfig("[database]\nurl = \"mysql://x\"\n", {}).ok());
}

TEST(Config, SmsAndFaxGatewaysNeedTheirSettings) {
  auto ok = ParseConfig("[sms]\nmarketing_window = \"09:00-20:00\"\n", {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->sms.marketing_window, "09:00-20:00");
  EXPECT_EQ(ok->sms.gateway, "log");
  EXPECT_EQ(ok->fax.gateway, "email");
  EXPECT_FALSE(ParseConfig("[sms]\nmarketing_window = \"21:00-08:00\"\n", {}).ok());
  EXPECT_FALSE(ParseConfig("[sms]\ngateway = \"carrier\"\n", {}).ok());
  auto http = ParseConfig("[sms]\ngateway = \"http\"\n", {});
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.error().message.find("sms.http_url"), std::string::npos);
  EXPECT_TRUE(ParseConfig("[sms]\ngateway = \"http\"\nhttp_url = \"https://sms.example/send\"\n"
                          "http_secret = \"s\"\ncallback_secret = \"c\"\n",
                          {})
                  .ok());
  EXPECT_FALSE(ParseConfig("[fax]\ngateway = \"http\"\n", {}).ok());
}

}  // namespace
}  // namespace kelu
