// Password policy (standard, or the 等保 profile), checking, and argon2id hashing.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu::identity {

struct PasswordPolicy {
  std::string name;
  int min_length = 8;
  int min_classes = 2;    // of: lower case, upper case, digits, symbols
  int rotation_days = 0;  // 0: never expires
  int history = 0;        // how many previous passwords may not be reused
};

// "standard": 8+ characters of 2 classes. "dengbao" (等保 2.0): 8+ characters of 3 classes,
// changed every 90 days, not one of the last 5.
PasswordPolicy PolicyNamed(std::string_view name);

// 422 weak_password with the reasons in details.rules when `password` breaks the policy.
Status CheckPassword(const PasswordPolicy& policy, std::string_view password,
                     std::string_view login);

struct HashCost {
  int memory_kib = 19 * 1024;
  int iterations = 2;
};

// A random temporary password that meets `policy` for `login` (a random one may, rarely,
// contain a short login; such draws are discarded).
std::string TemporaryPassword(const PasswordPolicy& policy, std::string_view login);

// An argon2id hash in the PHC string form. Throws std::runtime_error when out of memory.
std::string HashPassword(std::string_view password, HashCost cost);
bool VerifyPassword(const std::string& hash, std::string_view password);

}  // namespace kelu::identity
