// Attachments: upload (a raw body or multipart/form-data), list, download with the Chinese file
// name kept (RFC 6266 filename*), inline preview of images and PDF, delete, and the usage view.
#include <fmt/format.h>

#include "attachments/service.hpp"
#include "core/files.hpp"
#include "core/validation.hpp"
#include "http/api.hpp"
#include "http/multipart.hpp"
#include "http/schema.hpp"

namespace kelu::http {

using namespace schema;

namespace {

// RFC 6266: an ASCII fallback for old clients and the UTF-8 name for everyone else.
std::string ContentDisposition(bool inline_view, std::string_view name) {
  std::string fallback;
  for (unsigned char ch : name) {
    fallback += (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') ? '_' : static_cast<char>(ch);
  }
  return fmt::format("{}; filename=\"{}\"; filename*=UTF-8''{}",
                     inline_view ? "inline" : "attachment", fallback, PercentEncode(name));
}

json::value AttachmentSchema() {
  return Obj({{"id", Int()},
              {"entity", Enum({"customer", "contact", "follow_up", "opportunity"})},
              {"entity_id", Int()},
              {"customer_id", Int()},
              {"filename", Str()},
              {"mime", Str("sniffed from the content")},
              {"size_bytes", Int()},
              {"sha256", Str()},
              {"uploaded_by", Int()},
              {"created_at", Time()}});
}

}  // namespace

void Api::RegisterAttachmentRoutes() {
  auto& svc = services_.attachments;
  Route& upload = router_.Add(
      "POST", "/api/v1/attachments", Access::kTenant,
      {"Upload a file to a customer, contact, follow-up or opportunity: the raw body (name in "
       "?filename=) or multipart/form-data with a `file` part; scanned, typed and counted "
       "against the quota before it is stored",
       "attachments",
       nullptr,
       AttachmentSchema(),
       201,
       {"empty_file", "file_too_large", "blocked_type", "malware_detected", "quota_exceeded",
        "scanner_unavailable", "validation_failed", "insufficient_storage", "spool_failed"},
       {{"entity", "customer, contact, follow_up or opportunity"},
        {"entity_id", "the record's id"},
        {"filename", "the file's name (raw uploads)"}}},
      [&svc](Context& ctx) {
        const auto& q = ctx.request.query;
        auto param = [&q](const char* key) -> std::string {
          auto it = q.find(key);
          return it == q.end() ? std::string() : it->second;
        };
        std::string entity = param("entity");
        std::int64_t entity_id = 0;
        try {
          entity_id = std::stoll(param("entity_id"));
        } catch (const std::exception&) {
          return ErrorToResponse(FieldError("entity_id", "required: the record's id"));
        }
        // A raw body stays in its spooled file; a multipart one is read back (within the
        // route's limit) to find its file part.
        attachments::UploadFile file{param("filename"), ctx.request.body, ctx.request.body_file};
        std::string multipart;
        auto type = ctx.request.header("content-type");
        if (type && type->starts_with("multipart/form-data")) {
          if (!file.path.empty()) {
            multipart = ReadFile(file.path).value_or("");
            file.path.clear();  // the server removes the spooled file after the answer
          } else {
            multipart = ctx.request.body;
          }
          auto part = MultipartFilePart(*type, multipart);
          if (!part)
            return ErrorToResponse(FieldError("file", "a multipart body needs a file part"));
          if (file.filename.empty()) file.filename = part->first;
          file.bytes = part->second;
        }
        return Reply(svc.Upload(ctx.who(), entity, entity_id, file, ctx.meta), 201);
      });
  upload.raw_body = true;
  upload.spool_to = [&svc] { return svc.UploadPath(); };
  upload.body_limit = static_cast<std::size_t>(svc.max_file_bytes()) + (std::size_t{1} << 20);

  router_.Add("GET", "/api/v1/attachments", Access::kTenant,
              {"The files of a record (of a customer: its contacts', follow-ups' and "
               "opportunities' too)",
               "attachments",
               nullptr,
               ListOf(AttachmentSchema()),
               200,
               {},
               {{"entity", "customer, contact, follow_up or opportunity"},
                {"entity_id", "the record's id"}}},
              [&svc](Context& ctx) {
                auto entity = ctx.request.query_param("entity").value_or("");
                std::int64_t id = 0;
                try {
                  id = std::stoll(ctx.request.query_param("entity_id").value_or(""));
                } catch (const std::exception&) {
                  return ErrorToResponse(FieldError("entity_id", "required: the record's id"));
                }
                return Reply(svc.List(ctx.who(), entity, id));
              });
  router_.Add("GET", "/api/v1/attachments/usage", Access::kTenant,
              {"Attachment space: the boss sees total, quota, what is left, per user and per "
               "record type; others their own uploads",
               "attachments",
               nullptr,
               Obj({{"used_bytes", Int()},
                    {"quota_bytes", Int()},
                    {"left_bytes", Int()},
                    {"mine_bytes", Int()}}),
               200,
               {},
               {}},
              [&svc](Context& ctx) { return Reply(svc.Usage(ctx.who())); });
  router_.Add(
      "GET", "/api/v1/attachments/{id}/download", Access::kTenant,
      {"Download a file; ?inline=1 shows images and PDF in the browser",
       "attachments",
       nullptr,
       Str("the file"),
       200,
       {},
       {{"inline", "1 to preview images and PDF"}}},
      ById([&svc](Context& ctx, std::int64_t id) {
        auto file = svc.Get(ctx.who(), id);
        if (!file.ok()) return ErrorToResponse(file.error());
        auto bytes = ReadFile(file->path);
        if (!bytes) return ErrorToResponse(Error::NotFound("file"));
        Response res;
        res.body = std::move(*bytes);
        bool previewable = file->mime.starts_with("image/") && file->mime != "image/svg+xml";
        previewable = previewable || file->mime == "application/pdf";
        bool inline_view = previewable && ctx.request.query_param("inline") == "1";
        res.set_header("Content-Type", file->mime);
        res.set_header("Content-Disposition", ContentDisposition(inline_view, file->filename));
        res.set_header("X-Content-Type-Options", "nosniff");
        return res;
      }));
  router_.Add("DELETE", "/api/v1/attachments/{id}", Access::kTenant,
              {"Delete a file: its space is freed at once (attachments skip the recycle bin)",
               "attachments",
               nullptr,
               nullptr,
               204,
               {},
               {}},
              ById([&svc](Context& ctx, std::int64_t id) {
                return Reply(svc.Delete(ctx.who(), id, ctx.meta));
              }));
}

}  // namespace kelu::http
