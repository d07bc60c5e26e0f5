// The one part of a multipart/form-data body that uploads read (RFC 7578). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kelu::http {

// The part named "file" of `body`, split by the boundary that `content_type` names: its file
// name (empty when it has none) and its bytes, a view into `body`. nullopt when there is no
// boundary or no such part, or the body ends before the part does.
std::optional<std::pair<std::string, std::string_view>> MultipartFilePart(
    std::string_view content_type, std::string_view body);

}  // namespace kelu::http
