// Roles, data scopes and the department tree: the pure rules of who may see and manage
// what inside a tenant.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kelu::identity {

enum class Role { kBoss, kAdmin, kManager, kMember };

// Which records a user sees: their own, their department's, their department and the ones
// below it, or all of the tenant's.
enum class DataScope { kSelf, kDepartment, kDepartmentAndBelow, kAll };

std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);
std::string_view ScopeName(DataScope s);
std::optional<DataScope> ParseScope(std::string_view s);
const std::vector<std::string>& RoleNames();
const std::vector<std::string>& ScopeNames();

// The scope a role has when the tenant has not configured it. The boss always has kAll.
DataScope DefaultScope(Role r);

// Boss and admin manage users, departments, roles and tokens of others.
bool CanManageUsers(Role r);
// Only a boss may grant or take away the boss role.
bool CanAssignRole(Role actor, Role from, Role to);

// A tenant always keeps at least one active boss. `active_bosses` counts them now; the
// change takes `user_is_active_boss` away from that role or state.
Status CheckBossRetained(int active_bosses, bool user_is_active_boss, bool stays_active_boss);

// Department tree: id → parent (nullopt for a root).
using DepartmentTree = std::map<std::int64_t, std::optional<std::int64_t>>;

// The departments whose records a user with `scope` in `department` sees; nullopt means
// every department (kAll). kSelf yields an empty set (only the user's own records).
std::optional<std::set<std::int64_t>> DepartmentsInScope(DataScope scope,
                                                         std::optional<std::int64_t> department,
                                                         const DepartmentTree& tree);

// True when making `parent` the parent of `department` would put it under itself.
bool WouldCycle(const DepartmentTree& tree, std::int64_t department,
                std::optional<std::int64_t> parent);

}  // namespace kelu::identity
