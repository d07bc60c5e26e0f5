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

TEST(Router, AParameterWhereTheResourceStandsMatchesAnyResource) {
  // Paths are looked up by their length and third segment; a pattern with a parameter there
  // must still be found, beside the literal ones, and literals still win.
  Router r;
  r.Add("GET", "/api/v1/customers/{id}", Access::kTenant, {}, Noop());
  r.Add("GET", "/api/v1/{kind}/{id}", Access::kTenant, {}, Noop());
  r.Add("POST", "/api/v1/{kind}/{id}", Access::kTenant, {}, Noop());
  r.Add("GET", "/files/{name}", Access::kPublic, {}, Noop());
  auto literal = r.Find("GET", "/api/v1/customers/7");
  ASSERT_TRUE(literal.route);
  EXPECT_EQ(literal.route->pattern, "/api/v1/customers/{id}");
  auto any = r.Find("GET", "/api/v1/contacts/8");
  ASSERT_TRUE(any.route);
  EXPECT_EQ(any.route->pattern, "/api/v1/{kind}/{id}");
  EXPECT_EQ(any.params.at("kind"), "contacts");
  // The methods allowed come from both kinds of pattern.
  auto wrong = r.Find("DELETE", "/api/v1/customers/7");
  EXPECT_FALSE(wrong.route);
  EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_TRUE(r.Find("GET", "/files/a.txt").route);
  EXPECT_FALSE(r.Find("GET", "/api/v1/contacts").route);
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
