#include "crm/normalize.hpp"

#include <array>
#include <cctype>
#include <cstdint>

namespace kelu::crm {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes decode as themselves.
char32_t Next(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size()) len = 1;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

void Append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t HalfWidth(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
  if (cp == 0x3000) return U' ';
  return cp;
}

bool IsSpaceOrPunct(char32_t cp) {
  if (cp < 0x80) return std::isspace(static_cast<int>(cp)) || std::ispunct(static_cast<int>(cp));
  // CJK symbols and punctuation (、。《》「」【】…), general punctuation (– — ‘ ’ “ ” …), the
  // middle dot and the full-width forms that have no ASCII twin (｟｠｡｢｣､･).
  return (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x00B7 ||
         (cp >= 0xFF5F && cp <= 0xFF65) || cp == 0x00A0;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string ToHalfWidth(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) Append(out, HalfWidth(Next(text, i)));
  return out;
}

std::string NormalizeName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = HalfWidth(Next(name, i));
    if (IsSpaceOrPunct(cp)) continue;
    if (cp < 0x80) cp = static_cast<char32_t>(std::tolower(static_cast<int>(cp)));
    Append(out, cp);
  }
  // Longest first, so 有限责任公司 is not read as …责任 + 公司.
  static constexpr std::array<std::string_view, 12> kSuffixes = {
      "股份有限公司", "有限责任公司", "有限公司", "companylimited", "incorporated", "corporation",
      "coltd",        "limited",      "公司",     "corp",           "ltd",          "inc"};
  for (auto suffix : kSuffixes) {
    if (EndsWith(out, suffix)) {
      // A name that is nothing but a suffix stays as it is.
      if (out.size() > suffix.size()) out.resize(out.size() - suffix.size());
      break;
    }
  }
  return out;
}

std::string NormalizePhone(std::string_view phone) {
  std::string digits;
  for (char c : ToHalfWidth(phone)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.starts_with("0086") && digits.size() > 4) return digits.substr(4);
  // +86 before an 11-digit mobile number or a number with an area code.
  if (digits.starts_with("86") && digits.size() >= 12) return digits.substr(2);
  return digits;
}

std::string PhoneDigitsOf(std::string_view query) {
  for (char c : ToHalfWidth(query)) {
    bool phone_char = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '(' || c == ')' ||
                      std::isspace(static_cast<unsigned char>(c));
    if (!phone_char) return "";
  }
  return NormalizePhone(query);
}

std::string NormalizeEmail(std::string_view email) {
  std::string out;
  for (char c : ToHalfWidth(email)) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace kelu::crm
