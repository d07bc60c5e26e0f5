#include "identity/roles.hpp"

#include <gtest/gtest.h>

namespace kelu::identity {
namespace {

TEST(Roles, NamesRoundTrip) {
  for (const auto& n : RoleNames()) EXPECT_EQ(RoleName(*ParseRole(n)), n);
  for (const auto& n : ScopeNames()) EXPECT_EQ(ScopeName(*ParseScope(n)), n);
  EXPECT_FALSE(ParseRole("king"));
}

TEST(Roles, BossSeesAllAndMembersThemselvesByDefault) {
  EXPECT_EQ(DefaultScope(Role::kBoss), DataScope::kAll);
  EXPECT_EQ(DefaultScope(Role::kManager), DataScope::kDepartmentAndBelow);
  EXPECT_EQ(DefaultScope(Role::kMember), DataScope::kSelf);
}

TEST(Roles, OnlyABossGrantsOrRemovesTheBossRole) {
  EXPECT_TRUE(CanAssignRole(Role::kBoss, Role::kMember, Role::kBoss));
  EXPECT_FALSE(CanAssignRole(Role::kAdmin, Role::kMember, Role::kBoss));
  EXPECT_FALSE(CanAssignRole(Role::kAdmin, Role::kBoss, Role::kMember));
  EXPECT_TRUE(CanAssignRole(Role::kAdmin, Role::kMember, Role::kManager));
  EXPECT_FALSE(CanAssignRole(Role::kManager, Role::kMember, Role::kMember));
}

TEST(Roles, TheLastBossCannotBeRemoved) {
  auto refused = CheckBossRetained(1, true, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "last_boss");
  EXPECT_TRUE(CheckBossRetained(2, true, false).ok());
  EXPECT_TRUE(CheckBossRetained(1, true, true).ok());
  EXPECT_TRUE(CheckBossRetained(1, false, false).ok());
}

TEST(Roles, DepartmentScopeFollowsTheTree) {
  // 1 ─┬─ 2 ── 4
  //    └─ 3
  DepartmentTree tree{{1, std::nullopt}, {2, 1}, {3, 1}, {4, 2}, {5, std::nullopt}};
  EXPECT_FALSE(DepartmentsInScope(DataScope::kAll, 2, tree));
  EXPECT_EQ(*DepartmentsInScope(DataScope::kSelf, 2, tree), std::set<std::int64_t>{});
  EXPECT_EQ(*DepartmentsInScope(DataScope::kDepartment, 2, tree), (std::set<std::int64_t>{2}));
  EXPECT_EQ(*DepartmentsInScope(DataScope::kDepartmentAndBelow, 2, tree),
            (std::set<std::int64_t>{2, 4}));
  EXPECT_EQ(*DepartmentsInScope(DataScope::kDepartmentAndBelow, 1, tree),
            (std::set<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*DepartmentsInScope(DataScope::kDepartmentAndBelow, std::nullopt, tree),
            std::set<std::int64_t>{});
}

TEST(Roles, MovingADepartmentUnderItselfIsACycle) {
  DepartmentTree tree{{1, std::nullopt}, {2, 1}, {4, 2}};
  EXPECT_TRUE(WouldCycle(tree, 1, 4));
  EXPECT_TRUE(WouldCycle(tree, 2, 2));
  EXPECT_FALSE(WouldCycle(tree, 4, 1));
  EXPECT_FALSE(WouldCycle(tree, 2, std::nullopt));
}

}  // namespace
}  // namespace kelu::identity
