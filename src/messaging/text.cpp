#include "messaging/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <set>

#include "core/validation.hpp"
#include "crm/normalize.hpp"

namespace kelu::messaging {

std::string Bracketed(std::string_view signature) { return "【" + std::string(signature) + "】"; }

std::optional<SmsSize> MeasureSms(std::string_view signature, std::string_view text) {
  std::string whole = Bracketed(signature) + std::string(text);
  if (!Utf8Length(whole)) return std::nullopt;
  SmsSize size;
  for (std::size_t i = 0; i < whole.size();) {
    std::size_t len = Utf8SequenceLength(static_cast<unsigned char>(whole[i]));
    size.characters += len == 4 ? 2 : 1;  // outside the BMP: a surrogate pair, two units
    i += len == 0 ? 1 : len;
  }
  size.segments = size.characters <= 70 ? 1 : (size.characters + 66) / 67;
  return size;
}

std::int64_t SmsPoints(int segments, std::int64_t recipients) {
  return static_cast<std::int64_t>(segments) * recipients;
}

std::string NormalizeForFilter(std::string_view text) {
  std::string out = crm::ToHalfWidth(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) {
    return ch < 0x80 ? static_cast<char>(std::tolower(ch)) : static_cast<char>(ch);
  });
  return out;
}

SensitiveWords::SensitiveWords(const std::vector<std::string>& words) {
  nodes_.emplace_back();
  std::set<std::string> seen;
  for (const auto& raw : words) {
    std::string w = NormalizeForFilter(raw);
    if (w.empty() || !seen.insert(w).second) continue;
    int state = 0;
    for (unsigned char b : w) {
      auto& next = nodes_[state].next;
      auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(b, 0),
                                 [](const auto& x, const auto& y) { return x.first < y.first; });
      if (it != next.end() && it->first == b) {
        state = it->second;
      } else {
        int created = static_cast<int>(nodes_.size());
        nodes_[state].next.insert(it, {b, created});
        nodes_.emplace_back();
        state = created;
      }
    }
    nodes_[state].outputs.push_back(static_cast<int>(words_.size()));
    words_.push_back(raw);
  }
  // Failure links, breadth first; outputs of the failure target are inherited.
  std::deque<int> queue;
  for (const auto& [b, child] : nodes_[0].next) queue.push_back(child);
  while (!queue.empty()) {
    int s = queue.front();
    queue.pop_front();
    for (const auto& [b, child] : nodes_[s].next) {
      int f = nodes_[s].fail;
      int target = 0;
      for (;;) {
        int n = Step(f, b);
        if (n >= 0 && n != child) {
          target = n;
          break;
        }
        if (f == 0) break;
        f = nodes_[f].fail;
      }
      nodes_[child].fail = target;
      const auto& inherited = nodes_[target].outputs;
      nodes_[child].outputs.insert(nodes_[child].outputs.end(), inherited.begin(), inherited.end());
      queue.push_back(child);
    }
  }
}

int SensitiveWords::Step(int state, unsigned char byte) const {
  const auto& next = nodes_[state].next;
  auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(byte, 0),
                             [](const auto& x, const auto& y) { return x.first < y.first; });
  return it != next.end() && it->first == byte ? it->second : -1;
}

std::vector<std::string> SensitiveWords::Find(std::string_view text) const {
  std::string normal = NormalizeForFilter(text);
  std::vector<std::string> found;
  std::vector<bool> reported(words_.size(), false);
  int state = 0;
  for (unsigned char b : normal) {
    for (;;) {
      int n = Step(state, b);
      if (n >= 0) {
        state = n;
        break;
      }
      if (state == 0) break;
      state = nodes_[state].fail;
    }
    for (int w : nodes_[state].outputs) {
      if (!reported[w]) {
        reported[w] = true;
        found.push_back(words_[w]);
      }
    }
  }
  return found;
}

}  // namespace kelu::messaging

namespace kelu::messaging {

std::optional<std::string> MobileNumber(std::string_view text) {
  std::string digits = crm::NormalizePhone(text);
  if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3' || digits[1] > '9') {
    return std::nullopt;
  }
  return digits;
}

namespace {

struct Variable {
  std::string_view zh;
  std::string_view en;
  std::string TemplateValues::*field;
};

constexpr std::array<Variable, 4> kVariables{{
    {"客户名称", "customer_name", &TemplateValues::customer_name},
    {"联系人", "contact_name", &TemplateValues::contact_name},
    {"职务", "title", &TemplateValues::title},
    {"负责人", "owner", &TemplateValues::owner},
}};

const Variable* FindVariable(std::string_view name) {
  for (const auto& v : kVariables) {
    if (v.zh == name || v.en == name) return &v;
  }
  return nullptr;
}

// Calls `text(piece)` for literal text and `variable(name, default)` for each {…}; answers
// false at an unclosed brace.
template <class Text, class Var>
bool WalkTemplate(std::string_view body, Text&& text, Var&& variable) {
  for (std::size_t i = 0; i < body.size();) {
    std::size_t open = body.find('{', i);
    text(body.substr(i, open == std::string_view::npos ? body.size() - i : open - i));
    if (open == std::string_view::npos) return true;
    std::size_t close = body.find('}', open);
    if (close == std::string_view::npos) {
      text(body.substr(open));
      return false;
    }
    std::string_view inside = body.substr(open + 1, close - open - 1);
    std::size_t bar = inside.find('|');
    variable(inside.substr(0, bar),
             bar == std::string_view::npos ? std::string_view() : inside.substr(bar + 1),
             body.substr(open, close - open + 1));
    i = close + 1;
  }
  return true;
}

}  // namespace

std::vector<std::string> TemplateProblems(std::string_view body) {
  std::vector<std::string> problems;
  bool closed = WalkTemplate(
      body, [](std::string_view) {},
      [&](std::string_view name, std::string_view, std::string_view whole) {
        if (!FindVariable(name)) problems.push_back("unknown variable " + std::string(whole));
      });
  if (!closed) problems.emplace_back("a { without its }");
  return problems;
}

std::string RenderTemplate(std::string_view body, const TemplateValues& values) {
  std::string out;
  WalkTemplate(
      body, [&](std::string_view piece) { out += piece; },
      [&](std::string_view name, std::string_view fallback, std::string_view whole) {
        const Variable* v = FindVariable(name);
        if (!v) {
          out += whole;
          return;
        }
        const std::string& value = values.*(v->field);
        out += value.empty() ? fallback : std::string_view(value);
      });
  return out;
}

Timestamp EarliestSend(Timestamp now, bool marketing, const Window& window, const Zone& zone) {
  if (!marketing) return now;
  Date today = zone.LocalDate(now);
  auto minute = std::chrono::duration_cast<std::chrono::minutes>(
                    now - zone.At(today, std::chrono::minutes(0)))
                    .count();
  if (minute >= window.from_minute && minute < window.to_minute) return now;
  Date day = minute < window.from_minute
                 ? today
                 : Date{std::chrono::sys_days(today) + std::chrono::days(1)};
  return zone.At(day, std::chrono::minutes(window.from_minute));
}

bool IsOptOutReply(std::string_view text) {
  std::string norm = NormalizeForFilter(text);
  std::string core;
  for (std::size_t i = 0; i < norm.size();) {
    auto ch = static_cast<unsigned char>(norm[i]);
    std::size_t len = Utf8SequenceLength(ch);
    if (len == 0) len = 1;
    bool drop = len == 1 && (std::isspace(ch) || std::ispunct(ch));
    std::string_view piece(norm.data() + i, std::min(len, norm.size() - i));
    if (piece == "。" || piece == "，" || piece == "！") drop = true;
    if (!drop) core += piece;
    i += len;
  }
  for (const char* word : {"r", "td", "t", "n", "退订", "拒收"}) {
    if (core == word) return true;
  }
  return false;
}

}  // namespace kelu::messaging
