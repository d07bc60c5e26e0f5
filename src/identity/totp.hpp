// Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, as every
// authenticator app expects) computed by liboath, and the one-time recovery codes that stand in
// for a lost phone. Pure functions of their inputs (the time is passed in), except the two that
// draw new secrets. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace kelu::identity {

inline constexpr int kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;
// Codes one step either side of now are taken too: phones' clocks drift, and a code typed in
// the last seconds of its step arrives in the next.
inline constexpr int kTotpWindow = 1;
inline constexpr int kRecoveryCodeCount = 10;

// 20 random bytes (160 bits, RFC 4226 §4), the key an authenticator app is given.
std::string NewTotpSecret();
// RFC 4648 base32 without padding: how the secret is typed or carried in the QR code.
std::string Base32(std::string_view bytes);
// otpauth://totp/<issuer>:<account>?secret=…&issuer=… (the Key Uri Format apps read).
std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret);
// The 30-second step `at` falls in (Unix seconds / 30).
std::int64_t TotpStep(Timestamp at);
// The code of `secret` for the step `at` falls in.
std::string TotpCode(std::string_view secret, Timestamp at);
// The step whose code `code` is, when it is within kTotpWindow steps of `now` and later than
// `after_step` (a code once accepted is never accepted again, RFC 6238 §5.2); else nullopt.
// Spaces in `code` are ignored (apps show "123 456").
std::optional<std::int64_t> MatchTotp(std::string_view secret, std::string_view code,
                                      Timestamp now, std::int64_t after_step);

// kRecoveryCodeCount new codes, each 10 characters in two groups ("k7m2p-9xq4r", 50 bits) from
// an alphabet without look-alikes (no 0/o, 1/l/i).
std::vector<std::string> NewRecoveryCodes();
// A typed recovery code as it was issued: lower case, spaces and dashes put right; "" when it
// cannot be one.
std::string NormalizeRecoveryCode(std::string_view typed);

}  // namespace kelu::identity
