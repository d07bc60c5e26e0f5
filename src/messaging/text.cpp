#include "messaging/text.hpp"

#include <algorithm>
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
