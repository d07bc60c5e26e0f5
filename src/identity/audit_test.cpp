#include "identity/audit.hpp"

#include <gtest/gtest.h>

namespace kelu::identity {
namespace {

TEST(Audit, DiffKeepsOnlyChangedFields) {
  json::object before{{"name", "张伟"}, {"role", "member"}, {"email", "a@x.cn"}};
  json::object after{{"name", "张伟"}, {"role", "manager"}, {"mobile", "138"}};
  Diff(before, after);
  EXPECT_EQ(before, (json::object{{"role", "member"}, {"email", "a@x.cn"}}));
  EXPECT_EQ(after, (json::object{{"role", "manager"}, {"mobile", "138"}}));
}

}  // namespace
}  // namespace kelu::identity
