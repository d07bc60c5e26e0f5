// The arithmetic of a Chinese SMS and the sensitive-word filter (contract §2, §16). Pure.
//
// Segments (CONTRACT-RULES, mainland China): the signature with its 【】 plus the text; every
// character counts 1, a character outside the BMP (an emoji) counts 2; up to 70 is one segment,
// a longer message is split into parts of 67. Points = segments × recipients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace kelu::messaging {

struct SmsSize {
  int characters = 0;  // as the carrier counts them (non-BMP characters count 2)
  int segments = 0;
};

// nullopt when the text is not valid UTF-8.
std::optional<SmsSize> MeasureSms(std::string_view signature, std::string_view text);
// "【客录科技】": the signature as it is sent.
std::string Bracketed(std::string_view signature);
std::int64_t SmsPoints(int segments, std::int64_t recipients);

// Aho-Corasick over words normalised like the text they are matched against: full-width
// characters made half-width, letters lower case. Build once, match many times; thread-safe to
// match concurrently once built.
class SensitiveWords {
 public:
  explicit SensitiveWords(const std::vector<std::string>& words);
  // The distinct words found in `text`, in the order of their first match.
  std::vector<std::string> Find(std::string_view text) const;
  std::size_t size() const { return words_.size(); }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int>> next;  // sorted by byte
    int fail = 0;
    std::vector<int> outputs;  // word indexes ending here
  };
  int Step(int state, unsigned char byte) const;
  std::vector<Node> nodes_;
  std::vector<std::string> words_;
};

// Half-width and lower case: what the filter compares.
std::string NormalizeForFilter(std::string_view text);

// A mainland mobile number (11 digits, 1[3-9]…) from what people type ("+86 138-0013-8000"),
// or nullopt when it is not one (landlines cannot receive SMS).
std::optional<std::string> MobileNumber(std::string_view text);

// Template variables: {客户名称}, {联系人}, {职务}, {负责人} (or customer_name, contact_name,
// title, owner), each optionally with a default for an empty value: {联系人|客户}.
struct TemplateValues {
  std::string customer_name;
  std::string contact_name;
  std::string title;
  std::string owner;
};
// The names of unknown variables and unclosed braces in `body`; empty when it is well formed.
std::vector<std::string> TemplateProblems(std::string_view body);
// `body` with every variable replaced (call TemplateProblems first: unknown ones stay as typed).
std::string RenderTemplate(std::string_view body, const TemplateValues& values);

// When a message of the given kind may go out at the earliest: `now` for notifications and
// inside the marketing window [from, to) (minutes after local midnight); else the window's next
// start, in local time of `zone`.
struct Window {
  int from_minute = 8 * 60;
  int to_minute = 21 * 60;
};
Timestamp EarliestSend(Timestamp now, bool marketing, const Window& window, const Zone& zone);

// Does an inbound reply ask for no more marketing? "R", "TD", "T", "N", "退订", "拒收" in any
// width and case, with white space and punctuation around.
bool IsOptOutReply(std::string_view text);

}  // namespace kelu::messaging
