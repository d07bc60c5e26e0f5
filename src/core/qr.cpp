#include "core/qr.hpp"

#include <fmt/format.h>
#include <qrencode.h>

#include <memory>

namespace kelu {

std::optional<std::string> QrSvg(std::string_view text) {
  std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!qr) return std::nullopt;
  constexpr int kQuiet = 4;
  const int width = qr->width;
  const int size = width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // Runs of dark modules in a row become one rectangle, which keeps the path short.
      if (!(qr->data[y * width + x] & 1)) continue;
      int run = 1;
      while (x + run < width && (qr->data[y * width + x + run] & 1)) ++run;
      path += fmt::format("M{} {}h{}v1h-{}z", x + kQuiet, y + kQuiet, run, run);
      x += run - 1;
    }
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" "
      "shape-rendering=\"crispEdges\"><rect width=\"{0}\" height=\"{0}\" fill=\"#fff\"/>"
      "<path fill=\"#000\" d=\"{1}\"/></svg>",
      size, path);
}

}  // namespace kelu
