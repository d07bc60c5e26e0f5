#include "core/qr.hpp"

#include <gtest/gtest.h>

namespace kelu {
namespace {

TEST(QrSvg, DrawsTheSymbolWithItsFinderPatternsInsideTheQuietZone) {
  auto svg = QrSvg("otpauth://totp/Kelu:boss?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  ASSERT_TRUE(svg);
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg->ends_with("</svg>"));
  // The top-left finder pattern: its first row is seven dark modules at the quiet zone's edge.
  EXPECT_NE(svg->find("d=\"M4 4h7v1h-7z"), std::string::npos) << *svg;
  // Same text, same picture.
  EXPECT_EQ(*svg, *QrSvg("otpauth://totp/Kelu:boss?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
  EXPECT_NE(*svg, *QrSvg("otpauth://totp/Kelu:lina?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
}

TEST(QrSvg, RefusesTextNoQrVersionHolds) {
  EXPECT_EQ(QrSvg(std::string(3000, 'x')), std::nullopt);
}

}  // namespace
}  // namespace kelu
