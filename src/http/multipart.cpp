#include "http/multipart.hpp"

namespace kelu::http {

std::optional<std::pair<std::string, std::string_view>> MultipartFilePart(
    std::string_view content_type, std::string_view body) {
  auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return std::nullopt;
  std::string_view boundary = content_type.substr(b + 9);
  if (auto semi = boundary.find(';'); semi != std::string_view::npos) {
    boundary = boundary.substr(0, semi);
  }
  if (boundary.size() >= 2 && boundary.front() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  std::string delimiter = "--" + std::string(boundary);
  for (std::size_t pos = body.find(delimiter); pos != std::string_view::npos;) {
    std::size_t head = pos + delimiter.size();
    if (body.substr(head, 2) == "--") break;
    std::size_t head_end = body.find("\r\n\r\n", head);
    if (head_end == std::string_view::npos) break;
    std::string_view headers = body.substr(head, head_end - head);
    std::size_t content = head_end + 4;
    std::size_t next = body.find("\r\n" + delimiter, content);
    if (next == std::string_view::npos) break;
    if (headers.find("name=\"file\"") != std::string_view::npos) {
      std::string name;
      if (auto f = headers.find("filename=\""); f != std::string_view::npos) {
        auto end = headers.find('"', f + 10);
        name = std::string(headers.substr(f + 10, end - f - 10));
      }
      return std::make_pair(name, body.substr(content, next - content));
    }
    pos = next + 2;
  }
  return std::nullopt;
}

}  // namespace kelu::http
