#include "identity/password.hpp"

#include <sodium.h>

#include <cstddef>  // crack.h uses size_t without including it
#include <crack.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

#include "core/json.hpp"
#include "core/random.hpp"
#include "core/validation.hpp"

namespace kelu::identity {

PasswordPolicy PolicyNamed(std::string_view name) {
  if (name == "dengbao") return PasswordPolicy{"dengbao", 8, 3, 90, 5};
  return PasswordPolicy{"standard", 8, 0, 0, 0};
}

namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The service's own names: the first words anyone guessing a Kelu password tries.
constexpr std::string_view kServiceWords[] = {"kelu", "客录"};

}  // namespace

Status CheckPassword(const PasswordPolicy& policy, std::string_view password,
                     std::string_view login, std::initializer_list<std::string_view> context) {
  json::array broken;
  std::string common_reason;
  auto length = Utf8Length(password);
  if (!length) {
    broken.emplace_back("utf8");
  } else if (static_cast<int>(*length) < policy.min_length) {
    broken.emplace_back("min_length");
  }
  if (password.size() > 256) broken.emplace_back("max_length");
  bool lower = false, upper = false, digit = false, symbol = false;
  for (char ch : password) {
    auto c = static_cast<unsigned char>(ch);
    if (std::islower(c)) {
      lower = true;
    } else if (std::isupper(c)) {
      upper = true;
    } else if (std::isdigit(c)) {
      digit = true;
    } else {
      symbol = true;
    }
  }
  if (lower + upper + digit + symbol < policy.min_classes) broken.emplace_back("character_classes");
  if (broken.empty()) {
    // A dictionary word however dressed up, too simple, too systematic: the list Debian's own
    // passwd uses. The login is passed so that it and its variations count too.
    static std::mutex cracklib;
    std::lock_guard lock(cracklib);
    std::string pw(password);
    std::string user(login);
    if (const char* why = FascistCheckUser(pw.c_str(), GetDefaultCracklibDict(), user.c_str(), nullptr)) {
      broken.emplace_back("common");
      common_reason = why;
    }
  }
  std::string lowered = LowerAscii(password);
  if (!login.empty() && lowered.find(LowerAscii(login)) != std::string::npos) {
    broken.emplace_back("contains_login");
  }
  auto contains = [&](std::string_view word) {
    // Words of fewer than 3 characters would refuse too much by chance.
    return Utf8Length(word).value_or(0) >= 2 && word.size() >= 3 &&
           lowered.find(LowerAscii(word)) != std::string::npos;
  };
  bool context_word = std::any_of(std::begin(kServiceWords), std::end(kServiceWords), contains) ||
                      std::any_of(context.begin(), context.end(), contains);
  if (context_word) broken.emplace_back("contains_context_word");
  if (broken.empty()) return OkStatus();
  json::object details;
  details["rules"] = std::move(broken);
  details["min_length"] = policy.min_length;
  details["min_classes"] = policy.min_classes;
  std::string message = "The password does not meet the password policy: at least " +
                        std::to_string(policy.min_length) + " characters";
  if (policy.min_classes > 0) {
    message += " from " + std::to_string(policy.min_classes) +
               " of lower case, upper case, digits and symbols";
  }
  message += ", not containing the login name, the company's code or name or the service's, and "
             "not a common or easily guessed password";
  if (!common_reason.empty()) message += " (" + common_reason + ")";
  return Error::Make(ErrorKind::kInvalid, "weak_password", message + ".", std::move(details));
}

std::string TemporaryPassword(const PasswordPolicy& policy, std::string_view login) {
  for (;;) {
    std::string pw = RandomPassword();
    if (CheckPassword(policy, pw, login).ok()) return pw;
  }
}

std::string HashPassword(std::string_view password, HashCost cost) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(
          out, password.data(), password.size(), static_cast<unsigned long long>(cost.iterations),
          static_cast<std::size_t>(cost.memory_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("out of memory while hashing a password");
  }
  return out;
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace kelu::identity
