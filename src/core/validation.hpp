// Validation of request bodies: read fields from a JSON object, collecting one message per
// bad field, and turn the collection into a 422 error with details.fields. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace kelu {

class Fields {
 public:
  explicit Fields(const json::object& body) : body_(body) {}

  // A string of `min`..`max` characters (Unicode code points), trimmed of surrounding
  // white space. Absent: "required" when required, else nullopt without an error.
  std::optional<std::string> String(std::string_view key, bool required, std::size_t min = 1,
                                    std::size_t max = 200);
  // A password as typed: not trimmed or changed in any way (ASVS 6.2.8), 1..`max` characters.
  std::optional<std::string> Secret(std::string_view key, bool required, std::size_t max = 256);
  // One of `allowed`.
  std::optional<std::string> Enum(std::string_view key, bool required,
                                  const std::vector<std::string>& allowed);
  std::optional<std::int64_t> Int(std::string_view key, bool required, std::int64_t min,
                                  std::int64_t max);
  std::optional<bool> Bool(std::string_view key, bool required);
  // An integer id or null; `present` says whether the key was there at all.
  std::optional<std::int64_t> NullableId(std::string_view key, bool& present);
  // Every key of the body must be one of `known`.
  void OnlyKeys(const std::vector<std::string>& known);

  bool has(std::string_view key) const { return body_.contains(key); }
  void Fail(std::string_view key, std::string message) { errors_.emplace(key, std::move(message)); }
  bool ok() const { return errors_.empty(); }
  // 422 validation_failed with details.fields; call only when !ok().
  Error ToError() const;
  const std::map<std::string, std::string, std::less<>>& errors() const { return errors_; }

 private:
  // The text at `key` (trimmed when `trim`) of min..max code points, or nullopt with the reason.
  std::optional<std::string> Text(std::string_view key, bool required, bool trim, std::size_t min,
                                  std::size_t max);
  const json::object& body_;
  std::map<std::string, std::string, std::less<>> errors_;
};

// The length of the UTF-8 sequence that `lead` starts (1 to 4), or 0 when `lead` cannot
// start one.
inline std::size_t Utf8SequenceLength(unsigned char lead) {
  return lead < 0x80           ? 1
         : (lead >> 5) == 0x6  ? 2
         : (lead >> 4) == 0xE  ? 3
         : (lead >> 3) == 0x1E ? 4
                               : 0;
}

// The first `max` code points of UTF-8 `text`, with "…" after them when anything was cut.
std::string Utf8Prefix(std::string_view text, std::size_t max);

// Code points in UTF-8 text; nullopt when the text is not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view text);

// True when `text` holds a control character that no text field takes: C0 other than tab and
// line feed (a carriage return only just before a line feed), DEL, or C1 (U+0080..U+009F).
bool HasControlCharacter(std::string_view text);

// Where in `body` a key or a text holds such a character, as field paths ("name",
// "custom.region", "phones[1]"). The HTTP layer checks every body with it, so no handler can
// forget, and PostgreSQL never gets a NUL (it would cut the text there and 查重 compare the rest).
std::vector<std::string> FieldsWithControlCharacters(const json::value& body);

// A 422 error for a single field.
Error FieldError(std::string_view key, const std::string& message);

}  // namespace kelu
