// Secrets the service must read back (webhook signing secrets), sealed at rest with libsodium's
// secretbox (XSalsa20-Poly1305, a fresh random nonce each time) under the deployment's data key,
// so a copy of the database alone does not give them away. Immutable after construction, so
// safe to share between threads.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu {

class SecretBox {
 public:
  // The key as 64 hexadecimal digits (security.data_key).
  static Result<SecretBox> FromHex(std::string_view hex);
  // The key kept in the file at `path`: 32 random bytes written there (mode 0600) when the file
  // does not exist yet. For installations that set no security.data_key.
  static Result<SecretBox> FromKeyFile(const std::string& path);

  // "sb1:" and the nonce and box in base64url.
  std::string Seal(std::string_view plain) const;
  // The text Seal was given; nullopt when `sealed` was not sealed under this key or was changed.
  std::optional<std::string> Open(std::string_view sealed) const;
  static bool IsSealed(std::string_view text) { return text.starts_with("sb1:"); }

 private:
  std::array<unsigned char, 32> key_{};
};

}  // namespace kelu
