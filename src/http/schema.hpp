// Tiny builders for the JSON Schemas in the OpenAPI document.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"

namespace kelu::http::schema {

inline json::value Str(const std::string& description = "") {
  json::object o{{"type", "string"}};
  if (!description.empty()) o["description"] = description;
  return o;
}
inline json::value Int(const std::string& description = "") {
  json::object o{{"type", "integer"}};
  if (!description.empty()) o["description"] = description;
  return o;
}
inline json::value Bool() { return json::object{{"type", "boolean"}}; }
inline json::value Time() { return json::object{{"type", "string"}, {"format", "date-time"}}; }
inline json::value Nullable(json::value v) {
  json::object o = v.as_object();
  o["type"] = json::array{o["type"], "null"};
  return o;
}
inline json::value Enum(std::initializer_list<const char*> values) {
  json::array a;
  for (auto v : values) a.emplace_back(v);
  return json::object{{"type", "string"}, {"enum", std::move(a)}};
}
inline json::value Ref(const std::string& name) {
  return json::object{{"$ref", "#/components/schemas/" + name}};
}
inline json::value Array(json::value items) {
  return json::object{{"type", "array"}, {"items", std::move(items)}};
}
inline json::value Obj(const std::vector<std::pair<std::string, json::value>>& props,
                       const std::vector<std::string>& required = {}) {
  json::object p;
  for (const auto& [k, v] : props) p[k] = v;
  json::array r;
  for (const auto& k : required) r.emplace_back(k);
  json::object o{{"type", "object"}, {"properties", std::move(p)}};
  if (!r.empty()) o["required"] = std::move(r);
  return o;
}
// {"items": [item], "next_cursor": string|null}
// The query parameters of a paged list.
inline std::vector<std::pair<std::string, std::string>> Paging() {
  return {{"limit", "1 to 200"}, {"cursor", "from next_cursor"}};
}
inline json::value ListOf(json::value item) {
  return Obj({{"items", Array(std::move(item))}, {"next_cursor", Nullable(Str())}},
             {"items", "next_cursor"});
}

}  // namespace kelu::http::schema
