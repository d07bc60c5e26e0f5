// make bench: the sensitive-word filter's throughput with 10 000 words, beside a naive loop
// (each word searched for in the text with std::string::find). Prints one JSON object.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "messaging/text.hpp"

int main() {
  std::mt19937 rng(11);
  // Words and text over a few hundred common CJK characters, as real lists and messages are.
  auto cjk = [&] {
    char32_t cp = 0x4E00 + rng() % 400;
    std::string s;
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
    return s;
  };
  std::vector<std::string> words;
  words.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    std::string w;
    for (int n = 2 + static_cast<int>(rng() % 3); n > 0; --n) w += cjk();
    words.push_back(w);
  }
  std::string text;
  while (text.size() < (8u << 20)) text += cjk();
  kelu::messaging::SensitiveWords filter(words);
  auto t0 = std::chrono::steady_clock::now();
  auto found = filter.Find(text);
  double automaton = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The naive loop on a slice (it is far slower), scaled to MB/s.
  std::string slice = text.substr(0, std::size_t{256} * 1024);
  auto t1 = std::chrono::steady_clock::now();
  std::size_t hits = 0;
  for (const auto& w : words) hits += slice.find(w) != std::string::npos;
  double naive = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf(
      "{\"words\": %zu, \"text_mb\": %.2f, \"filter_mb_per_s\": %.2f, \"naive_mb_per_s\": %.2f, "
      "\"found\": %zu, \"naive_hits_in_slice\": %zu}\n",
      words.size(), static_cast<double>(text.size()) / 1048576.0,
      static_cast<double>(text.size()) / 1048576.0 / automaton,
      static_cast<double>(slice.size()) / 1048576.0 / naive, found.size(), hits);
  return 0;
}
