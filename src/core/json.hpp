// Small helpers over Boost.JSON used across layers.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace kelu {

namespace json = boost::json;

// Parses `text`; nullopt when it is not valid JSON.
std::optional<json::value> ParseJson(std::string_view text);
// A request body: as ParseJson, and nullopt too when an object names the same key twice
// (readers disagree on which one counts, so a check could pass on one and the write use the other)
// or a number is too large for a double (it would be read as infinity or NaN).
std::optional<json::value> ParseJsonBody(std::string_view text);
std::string ToJson(const json::value& v);
// The same without first copying an object or array into a value.
std::string ToJson(const json::object& o);
std::string ToJson(const json::array& a);
// The string at `key`, or nullopt when absent or not a string.
std::optional<std::string> GetString(const json::object& o, std::string_view key);
std::optional<std::int64_t> GetInt(const json::object& o, std::string_view key);
std::optional<bool> GetBool(const json::object& o, std::string_view key);

// The value, or null when empty.
template <class T>
json::value OrNull(const std::optional<T>& v) {
  if (!v) return nullptr;
  return json::value(*v);
}

}  // namespace kelu
