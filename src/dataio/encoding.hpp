// Text encodings of uploaded files: UTF-8 (with or without a byte order mark) or GB18030 (what
// Excel on a Chinese Windows saves as "CSV"). Detection reads a prefix; conversion streams.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu::dataio {

enum class Encoding { kUtf8, kUtf8Bom, kGb18030 };

std::string_view EncodingName(Encoding e);

// Decides from the first bytes of a file (a few KiB suffice): a BOM, else valid UTF-8 (a
// multi-byte sequence cut at the end of the prefix still counts), else GB18030.
Encoding DetectEncoding(std::string_view prefix);

// Copies `in` to `out` as UTF-8 without a BOM. 422 invalid_encoding when the bytes are not
// valid in `from`.
Status ConvertToUtf8(std::istream& in, std::ostream& out, Encoding from);

// Whole-string conversion, for small inputs and tests.
Result<std::string> ToUtf8(std::string_view bytes, Encoding from);

}  // namespace kelu::dataio
