// Password policy (standard, or the 等保 profile), checking, and argon2id hashing.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu::identity {

struct PasswordPolicy {
  std::string name;
  int min_length = 8;
  int min_classes = 0;    // of: lower case, upper case, digits, symbols (0: no such rule)
  int rotation_days = 0;  // 0: never expires
  int history = 0;        // how many previous passwords may not be reused
};

// "standard" (OWASP ASVS 5.0 §6.2): 8+ characters, up to 256 bytes (so 64 characters of any
// script), no rule about kinds of characters. "dengbao" (等保 2.0, which asks for them): 8+
// characters of 3 classes, changed every 90 days, not one of the last 5. Under both, a password
// must not contain the login nor be common or guessable (cracklib's dictionary and checks).
PasswordPolicy PolicyNamed(std::string_view name);

// 422 weak_password with the reasons in details.rules ("min_length", "max_length", "utf8",
// "character_classes", "contains_login", "contains_context_word", "common") when `password`
// breaks the policy. The context words are the service's own names (kelu, 客录) and
// `context`: the tenant's code and name, which an attacker who picked the tenant knows.
// Thread-safe (cracklib is not: its calls are serialised).
Status CheckPassword(const PasswordPolicy& policy, std::string_view password,
                     std::string_view login,
                     std::initializer_list<std::string_view> context = {});

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
