#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace kelu::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kelu-static-" + std::string(
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "dist" / "assets");
    std::ofstream(dir_ / "dist" / "index.html") << "<!doctype html>app";
    std::ofstream(dir_ / "dist" / "assets" / "index-1a2b.js") << "console.log(1)";
    std::ofstream(dir_ / "secret.txt") << "root:x:0:0";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dist() const { return (dir_ / "dist").string(); }
  fs::path dir_;
};

TEST_F(StaticFilesTest, ServesEveryBuiltFileByItsUrlPath) {
  StaticFiles files(dist());
  EXPECT_EQ(files.size(), 2u);
  const auto* js = files.Find("/assets/index-1a2b.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  ASSERT_NE(files.Index(), nullptr);
  EXPECT_FALSE(files.Index()->immutable);
  EXPECT_EQ(files.Find("/assets/missing.js"), nullptr);
  EXPECT_EQ(files.Find("assets/index-1a2b.js"), nullptr);
}

TEST_F(StaticFilesTest, NothingOutsideTheAppIsIndexedWhateverThePath) {
  StaticFiles files(dist());
  std::vector<std::string> paths = {"//etc/passwd", "/../secret.txt", "/assets/../../secret.txt",
                                    "/etc/passwd",  "/" + (dir_ / "secret.txt").string(),
                                    "/secret.txt"};
  for (const auto& p : paths) {
    EXPECT_EQ(files.Find(p), nullptr) << p;
  }
}

TEST_F(StaticFilesTest, LinksLeadingOutOfTheAppAreNotServed) {
  fs::create_symlink("/etc/passwd", dir_ / "dist" / "passwd.txt");
  fs::create_symlink(dir_ / "secret.txt", dir_ / "dist" / "assets" / "secret.txt");
  fs::create_directory_symlink("/etc", dir_ / "dist" / "etc");
  fs::create_symlink(dir_ / "dist" / "index.html", dir_ / "dist" / "home.html");
  StaticFiles files(dist());
  EXPECT_EQ(files.Find("/passwd.txt"), nullptr);
  EXPECT_EQ(files.Find("/assets/secret.txt"), nullptr);
  EXPECT_EQ(files.Find("/etc/passwd"), nullptr);
  EXPECT_EQ(files.size(), 3u) << "a link that stays inside the app is served";
  ASSERT_NE(files.Find("/home.html"), nullptr);
}

TEST_F(StaticFilesTest, AMissingDirectoryIsAnAppNotBuilt) {
  StaticFiles files((dir_ / "nowhere").string());
  EXPECT_EQ(files.size(), 0u);
  EXPECT_EQ(files.Index(), nullptr);
}

TEST(StaticFilesRoutes, OnlyPlainAppRoutesFallBackToTheSinglePage) {
  for (std::string_view ok : {"/", "/customers", "/customers/12", "/customers/", "/operator/tenants",
                              "/客户/一"}) {
    EXPECT_TRUE(StaticFiles::IsAppRoute(ok, ok)) << ok;
  }
  for (std::string_view bad :
       {"//etc/passwd", "/etc//passwd", "/a/../b", "/..", "/.", "/a/./b", "/customers//",
        "/index.html", "/x.js", "/assets/x", "/assets", "/a\\b", "/a\x01", "/a\x7f", "",
        "customers"}) {
    EXPECT_FALSE(StaticFiles::IsAppRoute(bad, bad)) << bad;
  }
  // A separator hidden by percent-encoding decodes to an ordinary-looking path.
  EXPECT_FALSE(StaticFiles::IsAppRoute("/etc/passwd", "/etc%2fpasswd"));
  EXPECT_FALSE(StaticFiles::IsAppRoute("/etc/passwd", "/etc%2Fpasswd"));
  EXPECT_FALSE(StaticFiles::IsAppRoute("/a\\b", "/a%5cb"));
  EXPECT_TRUE(StaticFiles::IsAppRoute("/customers", "/customers?q=a%2Fb"));
  EXPECT_FALSE(StaticFiles::IsAppRoute("/" + std::string(1100, 'a'), "/" + std::string(1100, 'a')));
}

}  // namespace
}  // namespace kelu::http
