// Normalisation for duplicate detection (查重) and search: names, phone numbers and email
// addresses are compared in a canonical form. Pure.
#pragma once

#include <string>
#include <string_view>

namespace kelu::crm {

// Full-width ASCII (ＡＢＣ１２３！) and the ideographic space become half-width.
std::string ToHalfWidth(std::string_view text);

// Trimmed, half-width, lower case, without white space or punctuation (ASCII and CJK), and
// without a trailing company suffix (有限责任公司, 股份有限公司, 有限公司, 公司, Co., Ltd.,
// Limited, Inc., Corp.). "北京客录科技有限公司" and "北京 客录科技" compare equal.
std::string NormalizeName(std::string_view name);

// Digits only, without a +86 / 0086 country prefix: "+86 138-0013-8000" → "13800138000".
std::string NormalizePhone(std::string_view phone);

// What a typed query means as a phone number: its digits (as NormalizePhone) when it reads as
// one — digits with spaces, + - ( ) only, full-width too — else "". "138 0013" → "1380013";
// "宏达0123" → "" (a name: its digits are not looked for in phones).
std::string PhoneDigitsOf(std::string_view query);

// Trimmed and lower case.
std::string NormalizeEmail(std::string_view email);

}  // namespace kelu::crm
