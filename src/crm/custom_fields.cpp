#include "crm/custom_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/time.hpp"
#include "core/validation.hpp"

namespace kelu::crm {

namespace {
const std::vector<std::string> kTypes = {"text", "number", "money",
                                         "date", "select", "multi_select"};

bool HasOption(const CustomField& f, std::string_view v) {
  return std::find(f.options.begin(), f.options.end(), v) != f.options.end();
}

// Nullopt when `v` is acceptable for `f`, else why not.
std::optional<std::string> Check(const CustomField& f, const json::value& v) {
  switch (f.type) {
    case FieldType::kText: {
      if (!v.is_string()) return "must be text";
      auto len = Utf8Length(v.get_string());
      if (!len || *len > 500) return "must be text of at most 500 characters";
      return std::nullopt;
    }
    case FieldType::kNumber:
      if (!v.is_number()) return "must be a number";
      if (v.is_double() && !std::isfinite(v.get_double())) return "must be a finite number";
      return std::nullopt;
    case FieldType::kMoney:
      if (!v.is_int64() && !v.is_uint64()) return "must be an integer number of fen";
      return std::nullopt;
    case FieldType::kDate:
      if (!v.is_string() || !ParseDate(v.get_string())) return "must be a date YYYY-MM-DD";
      return std::nullopt;
    case FieldType::kSelect:
      if (!v.is_string() || !HasOption(f, v.get_string()))
        return "must be one of the field's options";
      return std::nullopt;
    case FieldType::kMultiSelect:
      if (!v.is_array()) return "must be a list of the field's options";
      for (const auto& x : v.get_array()) {
        if (!x.is_string() || !HasOption(f, x.get_string()))
          return "must be a list of the field's options";
      }
      return std::nullopt;
  }
  return "unsupported";
}

}  // namespace

const std::vector<std::string>& FieldTypeNames() { return kTypes; }

std::optional<FieldType> ParseFieldType(std::string_view s) {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i] == s) return static_cast<FieldType>(i);
  }
  return std::nullopt;
}

std::string_view FieldTypeName(FieldType t) { return kTypes[static_cast<int>(t)]; }

bool ValidFieldKey(std::string_view key) {
  if (key.empty() || key.size() > 40 || key[0] < 'a' || key[0] > 'z') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<json::object> ApplyCustomValues(const std::vector<CustomField>& fields,
                                       const json::object& base, const json::value* values,
                                       bool creating) {
  json::object out = base;
  json::object errors;
  if (values) {
    if (!values->is_object()) {
      return FieldError("custom", "must be an object of custom field values");
    }
    for (const auto& kv : values->get_object()) {
      auto it = std::find_if(fields.begin(), fields.end(),
                             [&](const CustomField& f) { return f.key == kv.key(); });
      std::string key = "custom." + std::string(kv.key());
      if (it == fields.end()) {
        errors[key] = "unknown custom field";
        continue;
      }
      if (kv.value().is_null()) {
        out.erase(kv.key());
        continue;
      }
      if (auto why = Check(*it, kv.value())) {
        errors[key] = *why;
        continue;
      }
      out[kv.key()] = kv.value();
    }
  }
  for (const auto& f : fields) {
    if (f.required && (creating || values) && !out.contains(f.key)) {
      errors["custom." + f.key] = "required";
    }
  }
  if (!errors.empty()) {
    return Error::Make(ErrorKind::kInvalid, "validation_failed",
                       "Some fields are missing or invalid.", json::object{{"fields", errors}});
  }
  return out;
}

std::string CustomValueToText(const CustomField& field, const json::value& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return std::string(value.get_string());
  if (field.type == FieldType::kMultiSelect && value.is_array()) {
    std::string out;
    for (const auto& x : value.get_array()) {
      if (!out.empty()) out += ";";
      if (x.is_string()) out += x.get_string();
    }
    return out;
  }
  if (value.is_double()) return fmt::format("{}", value.get_double());  // shortest form: 4.5
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  return ToJson(value);
}

Result<json::value> CustomValueFromText(const CustomField& field, std::string_view text) {
  if (text.empty()) return json::value(nullptr);
  json::value v;
  switch (field.type) {
    case FieldType::kText:
    case FieldType::kDate:
    case FieldType::kSelect:
      v = json::string(text);
      break;
    case FieldType::kNumber:
    case FieldType::kMoney: {
      auto parsed = ParseJson(text);
      if (!parsed || !parsed->is_number()) {
        return FieldError("custom." + field.key, "must be a number");
      }
      v = *parsed;
      break;
    }
    case FieldType::kMultiSelect: {
      json::array a;
      std::size_t start = 0;
      while (start <= text.size()) {
        auto end = text.find(';', start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start) a.emplace_back(text.substr(start, end - start));
        start = end + 1;
      }
      v = std::move(a);
      break;
    }
  }
  if (auto why = Check(field, v)) return FieldError("custom." + field.key, *why);
  return v;
}

}  // namespace kelu::crm
