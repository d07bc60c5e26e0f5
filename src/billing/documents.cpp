// Printable order documents (§13): both parties, lines, totals, term and the bank account; and
// invoices with their lines and the payment they record; each one self-contained HTML page with
// print CSS and Chinese fonts.
#include <fmt/format.h>

#include "billing/internal.hpp"
#include "identity/audit.hpp"

namespace kelu::billing {

using storage::Connection;
using storage::V;

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string_view KindTitle(std::string_view kind) {
  if (kind == "subscription" || kind == "renewal" || kind == "seats") return "客录 CRM 服务订单";
  if (kind == "storage") return "附件存储扩容订单";
  if (kind == "sms") return "短信服务订单";
  return "传真服务订单";
}

std::string Text(const json::object& o, std::string_view key) {
  auto v = GetString(o, key);
  return Escape(v.value_or(""));
}

// One self-contained printable A4 page: Chinese fonts, tables, the two parties side by side.
std::string DocumentPage(std::string_view title, std::string_view body) {
  return fmt::format(
      R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 1.4em; text-align: center; }}
table {{ width: 100%; border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #999; padding: .4em .6em; }}
td.n, th.n {{ text-align: right; white-space: nowrap; }}
.parties {{ display: flex; gap: 2em; }} .parties div {{ flex: 1; }}
@media print {{ body {{ margin: 0; }} @page {{ size: A4; margin: 18mm; }} .noprint {{ display: none; }} }}
</style></head><body>
{}</body></html>
)",
      Escape(title), body);
}

// The parties as the order froze them when it was placed.
std::string PartiesHtml(const json::object& order) {
  const auto& parties = order.at("parties").as_object();
  const auto& provider = parties.at("provider").as_object();
  const auto& tenant = parties.at("tenant").as_object();
  return fmt::format(
      "<div class=\"parties\">\n<div><h2>甲方（客户）</h2><p>{}</p><p>{}</p></div>\n"
      "<div><h2>乙方（服务商）</h2><p>{}</p><p>{}</p><p>税号：{}</p><p>{} {}</p></div>\n"
      "</div>\n",
      Text(tenant, "company"), Text(tenant, "email"), Text(provider, "company"),
      Text(provider, "address"), Text(provider, "tax_id"), Text(provider, "phone"),
      Text(provider, "email"));
}

// Table rows for lines with a description, quantity, unit and amount in fen.
std::string LineRows(const json::array& lines) {
  std::string rows;
  for (const auto& l : lines) {
    const auto& line = l.as_object();
    rows += fmt::format(
        "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>\n",
        Text(line, "description"), line.at("quantity").as_int64(),
        FormatYuan(line.at("unit_fen").as_int64()), FormatYuan(line.at("amount_fen").as_int64()));
  }
  return rows;
}

constexpr const char* kLinesHead =
    "<table><thead><tr><th>项目</th><th class=n>数量</th><th class=n>单价（元）</th><th "
    "class=n>金额（元）</th></tr></thead>\n<tbody>\n";

}  // namespace

Result<std::string> BillingService::OrderDocument(const Principal& who, std::int64_t id) {
  bool op = who.kind == identity::PrincipalKind::kOperator;
  if (!op) KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<std::string> {
    // The operator reaches any tenant's order; the boss only the tenant's own.
    auto row =
        op ? c.QueryOne(fmt::format("SELECT {} FROM orders WHERE order_id = ?", kOrderColumns),
                        {V(id)})
           : c.QueryOne(fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND "
                                    "order_id = ?",
                                    kOrderColumns),
                        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("order");
    json::object o = OrderView(c, *row);
    const auto& provider = o["parties"].as_object().at("provider").as_object();
    std::string term;
    if (o["term_start"].is_string()) {
      term = fmt::format("<p>服务期限：{} 至 {}（不含）</p>", Escape(o["term_start"].as_string()),
                         Escape(o["term_end"].as_string()));
    }
    std::string accepted =
        o["accepted_at"].is_string()
            ? fmt::format("甲方已于 {} 在线确认本订单（用户 #{}）。",
                          Escape(o["accepted_at"].as_string()), o["accepted_by"].as_int64())
            : std::string("甲方尚未确认本订单。");
    std::string title(KindTitle(o["kind"].as_string()));
    return DocumentPage(
        title + " " + o["number"].as_string().c_str(),
        fmt::format(
            "<h1>{title}</h1>\n<p>订单编号：{number} &nbsp; 价格表版本：{version} &nbsp; "
            "状态：{status}</p>\n{parties}{term}\n{head}{rows}</tbody>\n<tfoot><tr><th "
            "colspan=3 class=n>合计（元）</th><th class=n>{total}</th></tr></tfoot></table>\n"
            "<p>付款方式：银行转账至 {payee}，开户行 {bank}，账号 {account}，请备注订单编号 "
            "{number}。</p>\n<p>本订单与《客录服务协议》《数据保密协议》具有同等效力。{accepted}"
            "</p>\n",
            fmt::arg("title", title), fmt::arg("number", Text(o, "number")),
            fmt::arg("version", o["price_list_version"].as_int64()),
            fmt::arg("status", Text(o, "status")), fmt::arg("parties", PartiesHtml(o)),
            fmt::arg("term", term), fmt::arg("head", kLinesHead),
            fmt::arg("rows", LineRows(o["lines"].as_array())),
            fmt::arg("total", FormatYuan(o["total_fen"].as_int64())),
            fmt::arg("payee", Text(provider, "company")),
            fmt::arg("bank", Text(provider, "bank_name")),
            fmt::arg("account", Text(provider, "bank_account")), fmt::arg("accepted", accepted)));
  });
}

Result<std::string> BillingService::InvoiceDocument(const Principal& who, std::int64_t id) {
  bool op = who.kind == identity::PrincipalKind::kOperator;
  if (!op) KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<std::string> {
    // The operator reaches any tenant's invoice; the boss only the tenant's own.
    constexpr const char* kSelect =
        "SELECT tenant_id, invoice_id, number, order_id, total_fen, issued_at FROM invoices ";
    auto inv = op ? c.QueryOne(std::string(kSelect) + "WHERE invoice_id = ?", {V(id)})
                  : c.QueryOne(std::string(kSelect) + "WHERE tenant_id = ? AND invoice_id = ?",
                               {V(who.tenant_id), V(id)});
    if (!inv) return Error::NotFound("invoice");
    std::int64_t tenant_id = inv->integer(0);
    auto order = c.QueryOne(
        fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
        {V(tenant_id), V(inv->integer(3))});
    if (!order) return Error::NotFound("order");
    json::object o = OrderView(c, *order);
    json::array lines;
    for (const auto& l : c.Query("SELECT description, quantity, unit_fen, amount_fen FROM "
                                 "invoice_lines WHERE tenant_id = ? AND invoice_id = ? ORDER BY "
                                 "line_no",
                                 {V(tenant_id), V(inv->integer(1))})
                             .rows) {
      lines.push_back(json::object{{"description", l.text(0)},
                                   {"quantity", l.integer(1)},
                                   {"unit_fen", l.integer(2)},
                                   {"amount_fen", l.integer(3)}});
    }
    auto paid = c.QueryOne(
        "SELECT paid_on, bank_reference, amount_fen FROM payments WHERE tenant_id = ? AND "
        "invoice_id = ?",
        {V(tenant_id), V(inv->integer(1))});
    std::string payment =
        paid ? fmt::format("<p>已于 {} 收到银行转账 {} 元（银行流水号 {}），对应订单 {}。</p>\n",
                           Escape(paid->text(0)), FormatYuan(paid->integer(2)),
                           Escape(paid->text(1)), Text(o, "number"))
             : fmt::format("<p>对应订单 {}。</p>\n", Text(o, "number"));
    std::string number = inv->text(2);
    return DocumentPage(
        "发票 " + number,
        fmt::format("<h1>{title}</h1>\n<p>发票编号：{number} &nbsp; 开具时间：{issued}</p>\n"
                    "{parties}{head}{rows}</tbody>\n<tfoot><tr><th colspan=3 "
                    "class=n>合计（元）</th><th class=n>{total}</th></tr></tfoot></table>\n"
                    "{payment}",
                    fmt::arg("title", Escape(std::string(KindTitle(o["kind"].as_string())) +
                                             " · 发票")),
                    fmt::arg("number", Escape(number)),
                    fmt::arg("issued", Escape(FormatRfc3339(FromMicros(inv->integer(5)), zone_))),
                    fmt::arg("parties", PartiesHtml(o)), fmt::arg("head", kLinesHead),
                    fmt::arg("rows", LineRows(lines)),
                    fmt::arg("total", FormatYuan(inv->integer(4))), fmt::arg("payment", payment)));
  });
}

}  // namespace kelu::billing

namespace kelu::billing {

namespace {

constexpr const char* kAgreementVersion = "2026-1";

// The clauses of the data-confidentiality agreement: what the service promises about the
// tenant's data, each tied to how the system keeps it.
const std::vector<std::pair<const char*, const char*>>& AgreementClauses() {
  static const std::vector<std::pair<const char*, const char*>> clauses = {
      {"数据归属",
       "甲方录入系统的全部数据归甲方所有。未经甲方同意，乙方不得使用、分析或向第三方提供。"},
      {"隔离",
       "甲方数据与其他客户的数据在每一次查询中严格隔离；乙方运营后台只显示数量、容量和日期等元数据"
       "，不显示甲方的业务记录。"},
      {"支持访问",
       "乙方人员只有在甲方老板账号授予有时限、可撤销的支持授权后，才能查看甲方数据；每一次访问都记"
       "入甲方可见的审计日志。"},
      {"安全",
       "上传文件在可用前经过病毒扫描；密码以不可逆方式保存；账号被盗用时，甲方可一键撤销会话并通知"
       "乙方。"},
      {"导出", "甲方可随时导出全部数据；非因违约终止后三十日内仍可申请导出。"},
      {"删除",
       "协议终止一百日后，乙方删除甲方的全部业务记录、附件和个人信息，仅保留结算记录，并出具删除报"
       "告。"},
  };
  return clauses;
}

}  // namespace

Result<json::object> BillingService::Agreement(const Principal& who) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    auto accepted = c.QueryOne(
        "SELECT accepted_at, accepted_by FROM agreement_acceptances WHERE tenant_id = ? AND "
        "version = ? ORDER BY acceptance_id DESC LIMIT 1",
        {V(who.tenant_id), V(kAgreementVersion)});
    json::array clauses;
    for (const auto& [title, text] : AgreementClauses()) {
      clauses.push_back(json::object{{"title", title}, {"text", text}});
    }
    return json::object{
        {"title", "数据保密协议"},
        {"version", kAgreementVersion},
        {"parties", json::object{{"tenant", t->name}, {"provider", provider_.company}}},
        {"clauses", std::move(clauses)},
        {"accepted_at", accepted ? json::value(Format(FromMicros(accepted->integer(0)))) : nullptr},
        {"accepted_by", accepted ? json::value(accepted->integer(1)) : nullptr}};
  });
}

Result<std::string> BillingService::AgreementDocument(const Principal& who) {
  auto a = Agreement(who);
  if (!a.ok()) return std::move(a).error();
  std::string body;
  int n = 0;
  for (const auto& c : a->at("clauses").as_array()) {
    body += fmt::format("<h2>{}．{}</h2><p>{}</p>\n", ++n, Text(c.as_object(), "title"),
                        Text(c.as_object(), "text"));
  }
  std::string accepted =
      a->at("accepted_at").is_string()
          ? fmt::format("甲方已于 {} 在线确认本协议（用户 #{}）。",
                        Escape(a->at("accepted_at").as_string()), a->at("accepted_by").as_int64())
          : std::string("甲方尚未确认本协议。");
  const auto& parties = a->at("parties").as_object();
  return fmt::format(
      R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>数据保密协议</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; line-height: 1.7; }}
h1 {{ font-size: 1.4em; text-align: center; }} h2 {{ font-size: 1.05em; margin-bottom: 0; }}
@media print {{ body {{ margin: 0; }} @page {{ size: A4; margin: 18mm; }} }}
</style></head><body>
<h1>数据保密协议</h1>
<p>版本：{version}</p>
<p>甲方：{tenant}<br>乙方：{provider}</p>
{body}
<p>本协议与《客录服务协议》《客户关系管理软件服务订单》《短信服务订单》具有同等效力。{accepted}</p>
</body></html>
)",
      fmt::arg("version", kAgreementVersion), fmt::arg("tenant", Text(parties, "tenant")),
      fmt::arg("provider", Text(parties, "provider")), fmt::arg("body", body),
      fmt::arg("accepted", accepted));
}

Result<json::object> BillingService::AcceptAgreement(const Principal& who,
                                                     const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  auto done = db_.Write([&](Connection& c) -> Status {
    if (c.QueryInt("SELECT count(*) FROM agreement_acceptances WHERE tenant_id = ? AND "
                   "version = ?",
                   {V(who.tenant_id), V(kAgreementVersion)}) > 0) {
      return OkStatus();  // accepted already: the first acceptance stands
    }
    std::int64_t id = c.NextId();
    c.Exec(
        "INSERT INTO agreement_acceptances (tenant_id, acceptance_id, version, accepted_at, "
        "accepted_by) VALUES (?, ?, ?, ?, ?)",
        {V(who.tenant_id), V(id), V(kAgreementVersion), V(ToMicros(meta.now)), V(who.user_id)});
    identity::RecordAudit(c, who, meta,
                          {"agreement.accept", "agreement", kAgreementVersion, {}, {}});
    RecordEvent(c, who.tenant_id, meta.now, "agreement.accepted",
                json::object{{"version", kAgreementVersion}, {"user_id", who.user_id}});
    return OkStatus();
  });
  if (!done.ok()) return std::move(done).error();
  return Agreement(who);
}

}  // namespace kelu::billing
