// Custom fields: their definitions and the validation of values against them. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace kelu::crm {

enum class FieldType { kText, kNumber, kMoney, kDate, kSelect, kMultiSelect };

struct CustomField {
  std::int64_t id = 0;
  std::string entity;  // customer, contact or opportunity
  std::string key;     // [a-z][a-z0-9_]*, the JSON key of the value
  std::string label;
  FieldType type = FieldType::kText;
  std::vector<std::string> options;  // for select and multi_select
  bool required = false;
};

std::optional<FieldType> ParseFieldType(std::string_view s);
std::string_view FieldTypeName(FieldType t);
const std::vector<std::string>& FieldTypeNames();
bool ValidFieldKey(std::string_view key);

// Checks `values` (the "custom" object of a body) against `fields` and returns the object to
// store: `base` (the stored values, on update) with `values` applied, null removing a value.
// Errors name each bad key as "custom.<key>".
Result<json::object> ApplyCustomValues(const std::vector<CustomField>& fields,
                                       const json::object& base, const json::value* values,
                                       bool creating);

// A value in the text form of a CSV cell, and back (for import and export).
std::string CustomValueToText(const CustomField& field, const json::value& value);
Result<json::value> CustomValueFromText(const CustomField& field, std::string_view text);

}  // namespace kelu::crm
