#include "core/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>
#include <vector>

namespace kelu {

namespace {

// A parse that only remembers the keys of each open object, to find one named twice, and
// checks that every number is finite.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    open_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    bool fresh = open_.back().insert(std::move(key_)).second;
    key_.clear();
    if (!fresh) ec = boost::json::error::syntax;  // stops the parse
    return fresh;
  }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code&) { return true; }
  // A number past what a double holds (1e400, and 0e710, which Boost reads as NaN) would reach
  // the handlers as infinity or NaN: refused like malformed JSON.
  bool on_double(double d, json::string_view, boost::system::error_code& ec) {
    if (std::isfinite(d)) return true;
    ec = boost::json::error::syntax;
    return false;
  }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  std::vector<std::set<std::string, std::less<>>> open_;
  std::string key_;
};

}  // namespace

std::optional<json::value> ParseJsonBody(std::string_view text) {
  json::basic_parser<DuplicateKeyFinder> finder(json::parse_options{});
  boost::system::error_code ec;
  finder.write_some(false, text.data(), text.size(), ec);
  if (ec) return std::nullopt;
  return ParseJson(text);
}

std::optional<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

std::string ToJson(const json::value& v) { return json::serialize(v); }
std::string ToJson(const json::object& o) { return json::serialize(o); }
std::string ToJson(const json::array& a) { return json::serialize(a); }

std::optional<std::string> GetString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

std::optional<std::int64_t> GetInt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(it->value().get_uint64());
  }
  return std::nullopt;
}

std::optional<bool> GetBool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}

}  // namespace kelu
