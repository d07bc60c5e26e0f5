#include "messaging/pdf.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <mutex>

namespace kelu::messaging {

Result<PdfInfo> InspectPdf(std::string_view bytes) {
  // Poppler writes its complaints about damaged files to stderr unless told otherwise.
  static std::once_flag quiet;
  std::call_once(
      quiet, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
  auto unreadable = [] {
    return Error::Make(ErrorKind::kInvalid, "pdf_unreadable",
                       "这不是可读取的 PDF 文件。The file is not a readable PDF.");
  };
  if (!bytes.starts_with("%PDF-")) return unreadable();
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) return unreadable();
  if (doc->is_locked()) {
    return Error::Make(
        ErrorKind::kInvalid, "pdf_locked",
        "PDF 文件有密码保护，不能传真。The PDF needs a password and cannot be faxed.");
  }
  PdfInfo info;
  info.pages = doc->pages();
  if (info.pages <= 0) return unreadable();
  for (int i = 0; i < info.pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    auto utf8 = page->text().to_utf8();
    info.text.append(utf8.begin(), utf8.end());
    info.text += '\n';
  }
  return info;
}

}  // namespace kelu::messaging
