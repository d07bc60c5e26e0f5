#include "identity/totp.hpp"

#include <liboath/oath.h>
#include <sodium.h>

#include <mutex>

namespace kelu::identity {

namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kRecoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz";  // 31, no look-alikes
constexpr std::size_t kRecoveryGroup = 5;

void InitOath() {
  static std::once_flag once;
  std::call_once(once, [] { oath_init(); });
}

// Percent-encodes for a URI path segment or query value (RFC 3986 unreserved kept).
std::string UriEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string NewTotpSecret() {
  std::string secret(20, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string Base32(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret) {
  return "otpauth://totp/" + UriEncode(issuer) + ":" + UriEncode(account) +
         "?secret=" + Base32(secret) + "&issuer=" + UriEncode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

std::int64_t TotpStep(Timestamp at) {
  std::int64_t seconds = ToMicros(at) / 1'000'000;
  return seconds / kTotpStepSeconds;
}

std::string TotpCode(std::string_view secret, Timestamp at) {
  InitOath();
  char out[kTotpDigits + 1] = {};
  time_t now = static_cast<time_t>(ToMicros(at) / 1'000'000);
  if (oath_totp_generate(secret.data(), secret.size(), now, kTotpStepSeconds, 0, kTotpDigits,
                         out) != OATH_OK) {
    return {};
  }
  return out;
}

std::optional<std::int64_t> MatchTotp(std::string_view secret, std::string_view code,
                                      Timestamp now, std::int64_t after_step) {
  std::string digits;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits += c;
  }
  if (digits.size() != static_cast<std::size_t>(kTotpDigits) || secret.empty()) {
    return std::nullopt;
  }
  InitOath();
  time_t seconds = static_cast<time_t>(ToMicros(now) / 1'000'000);
  uint64_t counter = 0;
  int found = oath_totp_validate3(secret.data(), secret.size(), seconds, kTotpStepSeconds, 0,
                                  kTotpWindow, nullptr, &counter, digits.c_str());
  if (found < 0) return std::nullopt;
  auto step = static_cast<std::int64_t>(counter);
  if (step <= after_step) return std::nullopt;
  return step;
}

std::vector<std::string> NewRecoveryCodes() {
  std::vector<std::string> codes;
  for (int i = 0; i < kRecoveryCodeCount; ++i) {
    std::string code;
    for (std::size_t j = 0; j < 2 * kRecoveryGroup; ++j) {
      if (j == kRecoveryGroup) code += '-';
      code += kRecoveryAlphabet[randombytes_uniform(kRecoveryAlphabet.size())];
    }
    codes.push_back(std::move(code));
  }
  return codes;
}

std::string NormalizeRecoveryCode(std::string_view typed) {
  std::string chars;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (kRecoveryAlphabet.find(lower) == std::string_view::npos) return {};
    chars += lower;
  }
  if (chars.size() != 2 * kRecoveryGroup) return {};
  return chars.substr(0, kRecoveryGroup) + "-" + chars.substr(kRecoveryGroup);
}

}  // namespace kelu::identity
