#include "core/secret_box.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

namespace kelu {

namespace {

Error KeyError(std::string message) {
  return Error::Make(ErrorKind::kInvalid, "invalid_data_key", std::move(message));
}

}  // namespace

Result<SecretBox> SecretBox::FromHex(std::string_view hex) {
  SecretBox box;
  std::size_t written = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(box.key_.data(), box.key_.size(), hex.data(), hex.size(), nullptr, &written,
                     nullptr) != 0 ||
      written != box.key_.size()) {
    return KeyError("security.data_key must be 64 hexadecimal digits (32 bytes)");
  }
  return box;
}

Result<SecretBox> SecretBox::FromKeyFile(const std::string& path) {
  SecretBox box;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    randombytes_buf(box.key_.data(), box.key_.size());
    bool written = ::write(fd, box.key_.data(), box.key_.size()) ==
                       static_cast<ssize_t>(box.key_.size()) &&
                   ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
      std::filesystem::remove(path, ec);
      return KeyError("cannot write the data key to " + path);
    }
    return box;
  }
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return KeyError("cannot read the data key at " + path);
  auto got = ::read(fd, box.key_.data(), box.key_.size());
  char extra = 0;
  bool longer = ::read(fd, &extra, 1) > 0;
  ::close(fd);
  if (got != static_cast<ssize_t>(box.key_.size()) || longer) {
    return KeyError("the data key at " + path + " is not 32 bytes");
  }
  return box;
}

std::string SecretBox::Seal(std::string_view plain) const {
  std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plain.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                        out.data(), key_.data());
  std::string text(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), out.data(), out.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::strlen(text.c_str()));
  return "sb1:" + text;
}

std::optional<std::string> SecretBox::Open(std::string_view sealed) const {
  if (!IsSealed(sealed)) return std::nullopt;
  std::string_view b64 = sealed.substr(4);
  std::vector<unsigned char> bytes(b64.size() + 1);  // never empty: its data() is passed on
  std::size_t n = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), b64.data(), b64.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return std::nullopt;
  }
  std::string plain(n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 bytes.data() + crypto_secretbox_NONCEBYTES,
                                 n - crypto_secretbox_NONCEBYTES, bytes.data(), key_.data()) != 0) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace kelu
