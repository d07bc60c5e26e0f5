#include "identity/roles.hpp"

namespace kelu::identity {

namespace {
const std::vector<std::string> kRoles = {"boss", "admin", "manager", "member"};
const std::vector<std::string> kScopes = {"self", "department", "department_and_below", "all"};
}  // namespace

const std::vector<std::string>& RoleNames() { return kRoles; }
const std::vector<std::string>& ScopeNames() { return kScopes; }

std::string_view RoleName(Role r) { return kRoles[static_cast<int>(r)]; }

std::optional<Role> ParseRole(std::string_view s) {
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (kRoles[i] == s) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string_view ScopeName(DataScope s) { return kScopes[static_cast<int>(s)]; }

std::optional<DataScope> ParseScope(std::string_view s) {
  for (std::size_t i = 0; i < kScopes.size(); ++i) {
    if (kScopes[i] == s) return static_cast<DataScope>(i);
  }
  return std::nullopt;
}

DataScope DefaultScope(Role r) {
  switch (r) {
    case Role::kBoss:
    case Role::kAdmin:
      return DataScope::kAll;
    case Role::kManager:
      return DataScope::kDepartmentAndBelow;
    case Role::kMember:
      return DataScope::kSelf;
  }
  return DataScope::kSelf;
}

bool CanManageUsers(Role r) { return r == Role::kBoss || r == Role::kAdmin; }

bool CanAssignRole(Role actor, Role from, Role to) {
  if (!CanManageUsers(actor)) return false;
  if (from == Role::kBoss || to == Role::kBoss) return actor == Role::kBoss;
  return true;
}

Status CheckBossRetained(int active_bosses, bool user_is_active_boss, bool stays_active_boss) {
  if (user_is_active_boss && !stays_active_boss && active_bosses <= 1) {
    return Error::Conflict("last_boss",
                           "A tenant must keep at least one active boss account; make another "
                           "user boss first.");
  }
  return OkStatus();
}

std::optional<std::set<std::int64_t>> DepartmentsInScope(DataScope scope,
                                                         std::optional<std::int64_t> department,
                                                         const DepartmentTree& tree) {
  if (scope == DataScope::kAll) return std::nullopt;
  std::set<std::int64_t> out;
  if (scope == DataScope::kSelf || !department) return out;
  out.insert(*department);
  if (scope == DataScope::kDepartment) return out;
  // Breadth-first over children; the tree is small (hundreds of departments at most).
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [id, parent] : tree) {
      if (parent && out.count(*parent) && !out.count(id)) {
        out.insert(id);
        grew = true;
      }
    }
  }
  return out;
}

bool WouldCycle(const DepartmentTree& tree, std::int64_t department,
                std::optional<std::int64_t> parent) {
  std::set<std::int64_t> seen;
  while (parent) {
    if (*parent == department || !seen.insert(*parent).second) return true;
    auto it = tree.find(*parent);
    if (it == tree.end()) return false;
    parent = it->second;
  }
  return false;
}

}  // namespace kelu::identity
