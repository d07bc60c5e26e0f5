// A list's query string as a client sends it ("?q=…&cf.level=…&created_from=…"): decoded by
// ParseTarget, then each value through what the list filters read it with: custom-field
// values of every type, the time and date forms, and the name and phone forms `q` matches on.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "crm/custom_fields.hpp"
#include "crm/normalize.hpp"
#include "http/message.hpp"

namespace {

const std::vector<kelu::crm::CustomField>& Fields() {
  using kelu::crm::FieldType;
  static const std::vector<kelu::crm::CustomField> fields = [] {
    std::vector<kelu::crm::CustomField> out;
    for (auto type : {FieldType::kText, FieldType::kNumber, FieldType::kMoney, FieldType::kDate,
                      FieldType::kSelect, FieldType::kMultiSelect}) {
      kelu::crm::CustomField f;
      f.key = "f";
      f.type = type;
      f.options = {"A 级", "B 级", "重点"};
      out.push_back(f);
    }
    return out;
  }();
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string target = "/api/v1/customers?";
  target.append(reinterpret_cast<const char*>(data), size);
  std::string path;
  std::multimap<std::string, std::string> query;
  if (!kelu::http::ParseTarget(target, path, query)) return 0;
  const auto zone = kelu::Zone::Shanghai();
  for (const auto& [key, value] : query) {
    for (const auto& field : Fields()) {
      auto v = kelu::crm::CustomValueFromText(field, value);
      if (v.ok()) kelu::crm::CustomValueToText(field, *v);
    }
    kelu::ParseRfc3339(value);
    kelu::ParseDate(value);
    kelu::ParseLocalTime(value, zone);
    kelu::crm::NormalizeName(value);
    kelu::crm::NormalizePhone(value);
    kelu::crm::PhoneDigitsOf(value);
    kelu::crm::NormalizeEmail(value);
  }
  return 0;
}
