// QR codes (libqrencode) drawn as SVG, for what a phone should scan off the screen: the
// authenticator enrolment link. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kelu {

// `text` as a QR code (error correction M, 4-module quiet zone) in one SVG <path>, black on
// white, scaled by the viewBox; nullopt when it is too long for any QR version.
std::optional<std::string> QrSvg(std::string_view text);

}  // namespace kelu
