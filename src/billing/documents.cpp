// Printable order documents (§13): both parties, lines, totals, term and the bank account, as
// one self-contained HTML page with print CSS and Chinese fonts.
#include <fmt/format.h>

#include "billing/internal.hpp"

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

}  // namespace

Result<std::string> BillingService::OrderDocument(const Principal& who, std::int64_t id) {
  bool op = who.kind == identity::PrincipalKind::kOperator;
  if (!op) KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<std::string> {
    auto row = c.QueryOne(
        op ? "SELECT order_id, number, kind, status, price_list_version, plan_code, seats, years, "
             "blocks, points, term_start, term_end, total_fen, details, created_at, accepted_at, "
             "accepted_by, paid_at, cancelled_at, tenant_id FROM orders WHERE order_id = ? AND "
             "tenant_id > ?"
           : "SELECT order_id, number, kind, status, price_list_version, plan_code, seats, years, "
             "blocks, points, term_start, term_end, total_fen, details, created_at, accepted_at, "
             "accepted_by, paid_at, cancelled_at, tenant_id FROM orders WHERE order_id = ? AND "
             "tenant_id = ?",
        {V(id), V(op ? std::int64_t{0} : who.tenant_id)});
    if (!row) return Error::NotFound("order");
    json::object o = OrderView(c, *row);
    const auto& parties = o["parties"].as_object();
    const auto& provider = parties.at("provider").as_object();
    const auto& tenant = parties.at("tenant").as_object();
    std::string rows;
    for (const auto& l : o["lines"].as_array()) {
      const auto& line = l.as_object();
      rows += fmt::format(
          "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>\n",
          Text(line, "description"), line.at("quantity").as_int64(),
          FormatYuan(line.at("unit_fen").as_int64()), FormatYuan(line.at("amount_fen").as_int64()));
    }
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
    return fmt::format(
        R"(<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} {number}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 1.4em; text-align: center; }}
table {{ width: 100%; border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #999; padding: .4em .6em; }}
td.n, th.n {{ text-align: right; white-space: nowrap; }}
.parties {{ display: flex; gap: 2em; }} .parties div {{ flex: 1; }}
@media print {{ body {{ margin: 0; }} @page {{ size: A4; margin: 18mm; }} .noprint {{ display: none; }} }}
</style></head><body>
<h1>{title}</h1>
<p>订单编号：{number} &nbsp; 价格表版本：{version} &nbsp; 状态：{status}</p>
<div class="parties">
<div><h2>甲方（客户）</h2><p>{tenant}</p><p>{tenant_email}</p></div>
<div><h2>乙方（服务商）</h2><p>{provider}</p><p>{address}</p><p>税号：{tax_id}</p><p>{phone} {email}</p></div>
</div>
{term}
<table><thead><tr><th>项目</th><th class=n>数量</th><th class=n>单价（元）</th><th class=n>金额（元）</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><th colspan=3 class=n>合计（元）</th><th class=n>{total}</th></tr></tfoot></table>
<p>付款方式：银行转账至 {payee}，开户行 {bank}，账号 {account}，请备注订单编号 {number}。</p>
<p>本订单与《客录服务协议》《数据保密协议》具有同等效力。{accepted}</p>
</body></html>
)",
        fmt::arg("title", KindTitle(o["kind"].as_string())), fmt::arg("number", Text(o, "number")),
        fmt::arg("version", o["price_list_version"].as_int64()),
        fmt::arg("status", Text(o, "status")), fmt::arg("tenant", Text(tenant, "company")),
        fmt::arg("tenant_email", Text(tenant, "email")),
        fmt::arg("provider", Text(provider, "company")),
        fmt::arg("address", Text(provider, "address")),
        fmt::arg("tax_id", Text(provider, "tax_id")), fmt::arg("phone", Text(provider, "phone")),
        fmt::arg("email", Text(provider, "email")), fmt::arg("term", term), fmt::arg("rows", rows),
        fmt::arg("total", FormatYuan(o["total_fen"].as_int64())),
        fmt::arg("payee", Text(provider, "company")), fmt::arg("bank", Text(provider, "bank_name")),
        fmt::arg("account", Text(provider, "bank_account")), fmt::arg("accepted", accepted));
  });
}

}  // namespace kelu::billing
