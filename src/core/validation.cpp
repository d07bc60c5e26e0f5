#include "core/validation.hpp"

#include <fmt/format.h>

namespace kelu {

std::optional<std::size_t> Utf8Length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = Utf8SequenceLength(static_cast<unsigned char>(s[i]));
    if (len == 0 || i + len > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return std::nullopt;
    }
    i += len;
    ++count;
  }
  return count;
}

namespace {

std::string_view Trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> Fields::Text(std::string_view key, bool required, bool trim,
                                        std::size_t min, std::size_t max) {
  auto it = body_.find(key);
  if (it == body_.end() || it->value().is_null()) {
    if (required) Fail(key, "required");
    return std::nullopt;
  }
  if (!it->value().is_string()) {
    Fail(key, "must be a string");
    return std::nullopt;
  }
  std::string_view text = it->value().get_string();
  if (trim) text = Trim(text);
  auto len = Utf8Length(text);
  if (!len) {
    Fail(key, "must be valid UTF-8");
    return std::nullopt;
  }
  if (*len < min) {
    Fail(key, min <= 1 ? "required" : fmt::format("must have at least {} characters", min));
    return std::nullopt;
  }
  if (*len > max) {
    Fail(key, fmt::format("must have at most {} characters", max));
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<std::string> Fields::Secret(std::string_view key, bool required, std::size_t max) {
  return Text(key, required, false, 1, max);
}

std::optional<std::string> Fields::String(std::string_view key, bool required, std::size_t min,
                                          std::size_t max) {
  return Text(key, required, true, min, max);
}

std::optional<std::string> Fields::Enum(std::string_view key, bool required,
                                        const std::vector<std::string>& allowed) {
  auto v = String(key, required, 1, 100);
  if (!v) return std::nullopt;
  for (const auto& a : allowed) {
    if (*v == a) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  Fail(key, "must be one of: " + list);
  return std::nullopt;
}

std::optional<std::int64_t> Fields::Int(std::string_view key, bool required, std::int64_t min,
                                        std::int64_t max) {
  auto it = body_.find(key);
  if (it == body_.end() || it->value().is_null()) {
    if (required) Fail(key, "required");
    return std::nullopt;
  }
  auto v = GetInt(body_, key);
  if (!v) {
    Fail(key, "must be an integer");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    Fail(key, fmt::format("must be from {} to {}", min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Fields::Bool(std::string_view key, bool required) {
  auto it = body_.find(key);
  if (it == body_.end() || it->value().is_null()) {
    if (required) Fail(key, "required");
    return std::nullopt;
  }
  if (!it->value().is_bool()) {
    Fail(key, "must be true or false");
    return std::nullopt;
  }
  return it->value().get_bool();
}

std::optional<std::int64_t> Fields::NullableId(std::string_view key, bool& present) {
  auto it = body_.find(key);
  present = it != body_.end();
  if (!present || it->value().is_null()) return std::nullopt;
  auto v = GetInt(body_, key);
  if (!v || *v <= 0) {
    Fail(key, "must be an id or null");
    return std::nullopt;
  }
  return v;
}

void Fields::OnlyKeys(const std::vector<std::string>& known) {
  for (const auto& kv : body_) {
    bool found = false;
    for (const auto& k : known) found = found || kv.key() == k;
    if (!found) Fail(kv.key(), "unknown field");
  }
}

Error Fields::ToError() const {
  json::object fields;
  for (const auto& [k, v] : errors_) fields[k] = v;
  json::object details;
  details["fields"] = std::move(fields);
  return Error::Make(ErrorKind::kInvalid, "validation_failed",
                     "Some fields are missing or invalid.", std::move(details));
}

std::string Utf8Prefix(std::string_view text, std::size_t max) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (points++ == max) return std::string(text.substr(0, i)) + "…";
  }
  return std::string(text);
}

bool HasControlCharacter(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || c == '\n') continue;
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c < 0x20 || c == 0x7f) return true;
    // U+0080..U+009F (C1) in UTF-8.
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80) {
      return true;
    }
  }
  return false;
}

namespace {

void WalkForControlCharacters(const json::value& v, const std::string& path,
                              std::vector<std::string>& out) {
  if (v.is_string()) {
    if (HasControlCharacter(v.get_string())) out.push_back(path);
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string inner = path.empty() ? key : path + "." + key;
      if (HasControlCharacter(key)) {
        out.push_back(path.empty() ? "(key)" : path + ".(key)");
        continue;
      }
      WalkForControlCharacters(kv.value(), inner, out);
    }
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      WalkForControlCharacters(a[i], path + "[" + std::to_string(i) + "]", out);
    }
  }
}

}  // namespace

std::vector<std::string> FieldsWithControlCharacters(const json::value& body) {
  std::vector<std::string> out;
  WalkForControlCharacters(body, "", out);
  return out;
}

Error FieldError(std::string_view key, const std::string& message) {
  json::object fields;
  fields[key] = message;
  json::object details;
  details["fields"] = std::move(fields);
  return Error::Make(ErrorKind::kInvalid, "validation_failed",
                     "Some fields are missing or invalid.", std::move(details));
}

}  // namespace kelu
