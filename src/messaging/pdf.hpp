// What a fax needs to know of a PDF: how many pages it has (it is charged per page) and its
// text (it passes the sensitive-word filter like an SMS). Poppler, in memory. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace kelu::messaging {

struct PdfInfo {
  int pages = 0;
  std::string text;  // UTF-8, pages joined by newlines
};

// 422 pdf_unreadable for something that is not a readable PDF, pdf_locked for one that needs
// a password.
Result<PdfInfo> InspectPdf(std::string_view bytes);

}  // namespace kelu::messaging
