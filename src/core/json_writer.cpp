#include "core/json_writer.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <charconv>

namespace kelu {

namespace {

// The bytes a JSON string cannot hold as they are: control characters, `"` and `\`.
constexpr std::array<bool, 256> kMustEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

// Whether any of the eight bytes at `p` is below 0x20, `"` or `\`: the classic word tricks
// (a byte below n sets its top bit in (x - n·0x01…) & ~x & 0x80…, for n <= 0x80).
bool AnyMustEscape(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  auto below = [&](std::uint64_t v, std::uint64_t n) { return (v - kOnes * n) & ~v & kHigh; };
  return (below(x, 0x20) | below(x ^ (kOnes * '"'), 1) | below(x ^ (kOnes * '\\'), 1)) != 0;
}

}  // namespace

void JsonWriter::Grow(std::size_t more) {
  out_.resize(std::max(out_.size() * 2, len_ + more));
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_value_.empty()) {
    if (has_value_.back()) Put(',');
    has_value_.back() = 1;
  }
}

JsonWriter& JsonWriter::Open(char c) {
  BeforeValue();
  Put(c);
  has_value_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  assert(!has_value_.empty() && !after_key_);
  has_value_.pop_back();
  Put(c);
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  assert(!has_value_.empty() && !after_key_);
  // `,"name":` at most: one check for room, then plain copies.
  if (name.size() + 4 > out_.size() - len_) Grow(name.size() + 4);
  char* p = out_.data() + len_;
  if (has_value_.back()) *p++ = ',';
  has_value_.back() = 1;
  *p++ = '"';
  std::memcpy(p, name.data(), name.size());  // a plain name: nothing in it to escape
  p += name.size();
  *p++ = '"';
  *p++ = ':';
  len_ = static_cast<std::size_t>(p - out_.data());
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  Escaped(s);
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t v) {
  BeforeValue();
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  Put(buf, static_cast<std::size_t>(end - buf));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  Put(v ? std::string_view("true") : std::string_view("false"));
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  Put("null", 4);
  return *this;
}

void JsonWriter::Reserve(std::size_t bytes) {
  if (bytes > out_.size() - len_) out_.resize(len_ + bytes);
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  Put(json);
  return *this;
}

JsonWriter& JsonWriter::Raw(std::initializer_list<std::string_view> pieces) {
  BeforeValue();
  for (std::string_view piece : pieces) Put(piece);
  return *this;
}

void JsonWriter::Escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::size_t kPiece = 4096;  // text is written in pieces of at most this
  Put('"');
  for (std::size_t from = 0; from < s.size(); from += kPiece) {
    std::size_t end = std::min(s.size(), from + kPiece);
    // Room for the worst case, every byte as \u00XX; then plain stores with no more checks.
    std::size_t room = (end - from) * 6;
    if (room > out_.size() - len_) Grow(room);
    char* p = out_.data() + len_;
    std::size_t i = from;
    while (i < end) {
      // Eight bytes at a time while none of them needs escaping (most text never does).
      if (i + 8 <= end && !AnyMustEscape(s.data() + i)) {
        std::memcpy(p, s.data() + i, 8);
        p += 8;
        i += 8;
        continue;
      }
      auto c = static_cast<unsigned char>(s[i++]);
      if (!kMustEscape[c]) {
        *p++ = static_cast<char>(c);
        continue;
      }
      *p++ = '\\';
      switch (c) {
        case '"':
        case '\\':
          *p++ = static_cast<char>(c);
          break;
        case '\b':
          *p++ = 'b';
          break;
        case '\f':
          *p++ = 'f';
          break;
        case '\n':
          *p++ = 'n';
          break;
        case '\r':
          *p++ = 'r';
          break;
        case '\t':
          *p++ = 't';
          break;
        default:
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 15];
      }
    }
    len_ = static_cast<std::size_t>(p - out_.data());
  }
  Put('"');
}

JsonWriter& JsonWriter::Unescaped(std::string_view s) {
  assert(std::none_of(s.begin(), s.end(),
                      [](char c) { return kMustEscape[static_cast<unsigned char>(c)]; }));
  BeforeValue();
  Put('"');
  Put(s);
  Put('"');
  return *this;
}

}  // namespace kelu
