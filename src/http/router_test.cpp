#include "http/router.hpp"

#include <gtest/gtest.h>

namespace kelu::http {
namespace {

Handler Noop() {
  return [](Context&) { return Response{}; };
}

TEST(Router, MatchesParametersAndPrefersLiterals) {
  Router r;
  r.Add("GET", "/api/v1/users/{id}", Access::kTenant, {}, Noop());
  r.Add("GET", "/api/v1/users/me", Access::kTenant, {}, Noop());
  auto m = r.Find("GET", "/api/v1/users/42");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.params.at("id"), "42");
  auto literal = r.Find("GET", "/api/v1/users/me");
  ASSERT_TRUE(literal.route);
  EXPECT_EQ(literal.route->pattern, "/api/v1/users/me");
}

TEST(Router, WrongMethodListsTheAllowedOnes) {
  Router r;
  r.Add("GET", "/api/v1/users", Access::kTenant, {}, Noop());
  r.Add("POST", "/api/v1/users", Access::kTenant, {}, Noop());
  auto m = r.Find("DELETE", "/api/v1/users");
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "POST"}));
}

TEST(Router, UnknownPathMatchesNothing) {
  Router r;
  r.Add("GET", "/api/v1/users/{id}", Access::kTenant, {}, Noop());
  auto m = r.Find("GET", "/api/v1/users/1/extra");
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.allowed.empty());
  EXPECT_FALSE(r.Find("GET", "/api/v1/users/").route);
}

TEST(Router, HeadIsServedByGet) {
  Router r;
  r.Add("GET", "/healthz", Access::kPublic, {}, Noop());
  EXPECT_TRUE(r.Find("HEAD", "/healthz").route);
}

TEST(Router, DuplicateRouteIsABug) {
  Router r;
  r.Add("GET", "/a", Access::kPublic, {}, Noop());
  EXPECT_THROW(r.Add("GET", "/a", Access::kPublic, {}, Noop()), std::logic_error);
}

}  // namespace
}  // namespace kelu::http
