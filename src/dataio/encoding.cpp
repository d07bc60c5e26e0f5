#include "dataio/encoding.hpp"

#include <iconv.h>

#include <cerrno>
#include <sstream>
#include <vector>

#include "core/validation.hpp"

namespace kelu::dataio {

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kUtf8Bom:
      return "utf-8-bom";
    case Encoding::kGb18030:
      return "gb18030";
  }
  return "utf-8";
}

namespace {

// Valid UTF-8, allowing a sequence cut off at the very end.
bool LooksUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = Utf8SequenceLength(c);
    if (len == 0) return false;
    if (len == 2 && c < 0xC2) return false;  // overlong
    for (std::size_t k = 1; k < len; ++k) {
      if (i + k >= s.size()) return true;  // cut by the prefix
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

Error BadEncoding(Encoding from) {
  return Error::Make(ErrorKind::kInvalid, "invalid_encoding",
                     "The file is neither UTF-8 nor GB18030 text (read as " +
                         std::string(EncodingName(from)) + ").");
}

}  // namespace

Encoding DetectEncoding(std::string_view prefix) {
  if (prefix.starts_with("\xEF\xBB\xBF")) return Encoding::kUtf8Bom;
  return LooksUtf8(prefix) ? Encoding::kUtf8 : Encoding::kGb18030;
}

Status ConvertToUtf8(std::istream& in, std::ostream& out, Encoding from) {
  std::vector<char> buf(1 << 16);
  if (from != Encoding::kGb18030) {
    bool first = true;
    std::string carry;  // an incomplete sequence at a chunk's end, checked with the next
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      std::string chunk = carry + std::string(buf.data(), static_cast<std::size_t>(in.gcount()));
      if (first && from == Encoding::kUtf8Bom && chunk.starts_with("\xEF\xBB\xBF"))
        chunk.erase(0, 3);
      first = false;
      // Keep back up to 3 bytes of a sequence that may continue in the next chunk.
      std::size_t keep = 0;
      for (std::size_t k = 1; k <= 3 && k <= chunk.size(); ++k) {
        auto c = static_cast<unsigned char>(chunk[chunk.size() - k]);
        if ((c >> 6) != 0x2) {
          std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
          if (len > k) keep = k;
          break;
        }
      }
      carry = chunk.substr(chunk.size() - keep);
      chunk.resize(chunk.size() - keep);
      if (!LooksUtf8(chunk)) return BadEncoding(from);
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
    if (!carry.empty()) return BadEncoding(from);
    return OkStatus();
  }
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  // (iconv_t)-1 is iconv_open's documented failure value.
  if (cd == reinterpret_cast<iconv_t>(-1)) {  // NOLINT(performance-no-int-to-ptr)
    return Error::Make(ErrorKind::kInternal, "encoding_unsupported",
                       "GB18030 conversion is unavailable.");
  }
  std::vector<char> outbuf(buf.size() * 2);
  std::string pending;
  Status status = OkStatus();
  while (status.ok() &&
         (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)) {
    pending.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    char* src = pending.data();
    std::size_t src_left = pending.size();
    while (src_left > 0) {
      char* dst = outbuf.data();
      std::size_t dst_left = outbuf.size();
      std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
      out.write(outbuf.data(), static_cast<std::streamsize>(outbuf.size() - dst_left));
      if (rc != static_cast<std::size_t>(-1)) continue;
      if (errno == E2BIG) continue;
      if (errno == EINVAL) break;  // incomplete at the end of this chunk: wait for more
      status = BadEncoding(from);
      break;
    }
    pending.erase(0, pending.size() - src_left);
  }
  if (status.ok() && !pending.empty()) status = BadEncoding(from);
  iconv_close(cd);
  return status;
}

Result<std::string> ToUtf8(std::string_view bytes, Encoding from) {
  std::istringstream in{std::string(bytes)};
  std::ostringstream out;
  KELU_RETURN_IF_ERROR(ConvertToUtf8(in, out, from));
  return out.str();
}

}  // namespace kelu::dataio
