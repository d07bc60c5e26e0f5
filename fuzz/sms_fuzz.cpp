// An SMS as a tenant writes it: segmentation, the filter's normal form, mobile numbers, opt-out
// replies and templates. The first line is the signature, the rest the text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messaging/text.hpp"

using namespace kelu::messaging;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  auto nl = all.find('\n');
  std::string_view signature = all.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
  if (auto m = MeasureSms(signature, text)) {
    if (m->characters < 0 || m->segments < 0 || (m->characters > 0 && m->segments == 0)) std::abort();
  }
  NormalizeForFilter(text);
  MobileNumber(text);
  IsOptOutReply(text);
  TemplateProblems(text);
  RenderTemplate(text, TemplateValues{"客户", "联系人", "经理", "销售"});
  return 0;
}
