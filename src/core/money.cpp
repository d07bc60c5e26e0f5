#include "core/money.hpp"

#include <fmt/format.h>

namespace kelu {

std::string FormatYuan(Fen fen) {
  bool negative = fen < 0;
  auto abs = static_cast<std::uint64_t>(negative ? -(fen + 1) + 1 : fen);
  std::string whole = std::to_string(abs / 100);
  std::string grouped;
  grouped.reserve(whole.size() + whole.size() / 3);
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  return fmt::format("{}{}.{:02}", negative ? "-" : "", grouped, abs % 100);
}

}  // namespace kelu
