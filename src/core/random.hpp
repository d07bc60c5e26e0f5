// Cryptographic randomness and digests (libsodium): session and API tokens, their stored
// hashes, and constant-time comparison. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kelu {

// `bytes` random bytes as unpadded base64url text.
std::string RandomToken(std::size_t bytes = 32);
// A 16-character base64url identifier, unique in practice (96 random bits), for what needs
// to be told apart but not kept secret: request ids. Drawn from a per-thread generator seeded
// from the system, so it costs no system call; never use it for a token or a password.
std::string UniqueId();
// A random password that satisfies every password policy (upper, lower, digit, symbol).
std::string RandomPassword(std::size_t length = 16);
// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// The SHA-256 (hex) of a file's content, read in pieces; "" when it cannot be read.
std::string Sha256OfFile(const std::string& path);
// Lowercase hex HMAC-SHA256 of `message` under `key` (webhook and gateway signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view message);
// Standard base64 with padding (MIME bodies, files in JSON).
std::string Base64Encode(std::string_view data);
// Compares in time independent of where the inputs differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
// Initialises libsodium; call once at start. Returns false when it cannot.
bool InitCrypto();

}  // namespace kelu
