#include "billing/service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "billing/internal.hpp"
#include "core/validation.hpp"
#include "identity/audit.hpp"
#include "identity/paging.hpp"

namespace kelu::billing {

// Generated from share/price-list.json.
std::vector<std::pair<std::string_view, std::string_view>> DefaultPriceListFiles();

using storage::Connection;
using storage::Row;
using storage::V;
using namespace internal;

namespace internal {

std::string NextNumber(Connection& c, std::string_view prefix, int year) {
  std::string series = fmt::format("{}-{}", prefix, year);
  if (c.Exec("UPDATE document_counters SET value = value + 1 WHERE series = ?", {V(series)}) == 0) {
    c.Exec("INSERT INTO document_counters (series, value) VALUES (?, 1)", {V(series)});
  }
  auto n = c.QueryInt("SELECT value FROM document_counters WHERE series = ?", {V(series)});
  return fmt::format("{}-{}-{:06}", prefix, year, n);
}

Error BossOnly() {
  return Error::Forbidden("boss_only", "Only the boss account manages the subscription.");
}

json::value LinesJson(const std::vector<Line>& lines) {
  json::array out;
  for (const auto& l : lines) {
    out.push_back(json::object{{"code", l.code},
                               {"description", l.description},
                               {"quantity", l.quantity},
                               {"unit_fen", l.unit_fen},
                               {"amount_fen", l.amount_fen}});
  }
  return out;
}

}  // namespace internal

BillingService::Tenant BillingService::Tenant::FromRow(const Row& r) {
  Tenant t;
  t.id = r.integer(0);
  t.slug = r.text(1);
  t.name = r.text(2);
  t.state = r.text(3);
  t.ending = r.text(4);
  t.seats = static_cast<int>(r.integer(5));
  t.plan = r.opt_text(6);
  if (auto parsed = ParseJson(r.text(7))) t.packages = PackagesFromJson(*parsed);
  t.anchor = OptDate(r.opt_text(8));
  t.expiry = OptDate(r.opt_text(9));
  t.terminated_on = OptDate(r.opt_text(10));
  t.non_renewal = !r.is_null(11);
  if (auto n = r.opt_integer(12)) t.next_seats = static_cast<int>(*n);
  t.blocks = static_cast<int>(r.integer(13));
  t.points_forfeited = !r.is_null(14);
  t.contact_email = r.opt_text(15).value_or("");
  t.next_seats_from = OptDate(r.opt_text(16));
  return t;
}

Lifecycle BillingService::Tenant::lifecycle() const {
  Lifecycle lc;
  lc.state = StateFromName(state).value_or(State::kActive);
  lc.ending = EndingFromName(ending).value_or(Ending::kNone);
  lc.expiry = expiry;
  lc.terminated_on = terminated_on;
  lc.non_renewal_notice = non_renewal;
  lc.points_forfeited = points_forfeited;
  return lc;
}

SeatGroup BillingService::Tenant::RenewalGroup(const PriceList& list) const {
  SeatGroup g;
  g.plan = plan.value_or("");
  g.packages = packages;
  int package_seats = SeatGroup{g.plan, 0, packages}.Seats(list);
  g.single_seats = std::max(0, next_seats.value_or(seats) - package_seats);
  return g;
}

BillingService::BillingService(storage::Database& db, identity::IdentityService& identity,
                               const Config& config, Zone zone,
                               std::shared_ptr<WorkCalendar> calendar)
    : db_(db),
      identity_(identity),
      terms_(config.terms),
      provider_(config.operator_info),
      zone_(std::move(zone)),
      calendar_(std::move(calendar)),
      files_dir_(config.files.dir) {}

Status BillingService::Start(Timestamp now) {
  auto rows = db_.Read([](Connection& c) {
    return c.Query("SELECT year, document FROM calendar_years ORDER BY year").rows;
  });
  for (const auto& r : rows) {
    auto loaded = calendar_->LoadYear(r.text(1));
    if (!loaded.ok()) return std::move(loaded).error();
  }
  return db_.Write([&](Connection& c) -> Status {
    if (c.QueryInt("SELECT count(*) FROM price_lists") > 0) return OkStatus();
    auto files = DefaultPriceListFiles();
    auto doc = ParseJson(files.at(0).second);
    if (!doc || !doc->is_object()) {
      return Error::Make(ErrorKind::kInternal, "invalid_price_list", "shipped price list");
    }
    auto list = ParsePriceList(doc->as_object());
    if (!list.ok()) return std::move(list).error();
    c.Exec(
        "INSERT INTO price_lists (version, document, note, published_at, published_by) "
        "VALUES (1, ?, ?, ?, NULL)",
        {V(ToJson(list->ToJson())), V("初始价格表 / initial price list"), V(ToMicros(now))});
    return OkStatus();
  });
}

Result<std::string> BillingService::EnsureTerm(std::int64_t tenant_id, std::string_view plan,
                                               int years, Timestamp now) {
  return db_.Write([&](Connection& c) -> Result<std::string> {
    auto t = LoadTenant(c, tenant_id);
    if (!t) return Error::NotFound("tenant");
    if (t->expiry) return FormatDate(*t->expiry);
    Date start = zone_.LocalDate(now);
    Date expiry = AddYears(start, years);
    c.Exec(
        "UPDATE tenants SET plan_code = ?, term_anchor = ?, expiry = ?, updated_at = ? "
        "WHERE tenant_id = ?",
        {V(plan), V(FormatDate(start)), V(FormatDate(expiry)), V(ToMicros(now)), V(tenant_id)});
    RecordEvent(
        c, tenant_id, now, "term.granted",
        json::object{{"plan", plan}, {"from", FormatDate(start)}, {"expiry", FormatDate(expiry)}});
    return FormatDate(expiry);
  });
}

Status BillingService::RequireBoss(const Principal& who) const {
  if (!who.is_boss()) {
    return BossOnly();
  }
  return OkStatus();
}

std::optional<BillingService::Tenant> BillingService::LoadTenant(Connection& c,
                                                                 std::int64_t tenant_id) {
  auto row = c.QueryOne(fmt::format("SELECT {} FROM tenants WHERE tenant_id = ?", kTenantColumns),
                        {V(tenant_id)});
  if (!row) return std::nullopt;
  return Tenant::FromRow(*row);
}

Result<PriceList> BillingService::LoadPriceList(Connection& c, std::int64_t* version) {
  auto row = c.QueryOne("SELECT version, document FROM price_lists ORDER BY version DESC LIMIT 1");
  if (!row) return Error::Make(ErrorKind::kInternal, "no_price_list", "No price list published.");
  if (version) *version = row->integer(0);
  auto doc = ParseJson(row->text(1));
  return ParsePriceList(doc->as_object());
}

// ---- Price list ----------------------------------------------------------------------------

Result<json::object> BillingService::CurrentPriceList() {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        "SELECT version, document, published_at FROM price_lists ORDER BY version DESC LIMIT 1");
    if (!row) return Error::NotFound("price list");
    json::object out = ParseJson(row->text(1))->as_object();
    out["version"] = row->integer(0);
    out["published_at"] = Format(FromMicros(row->integer(2)));
    out["storage"] = json::object{{"seat_mib", terms_.seat_storage_mib},
                                  {"block_mib", terms_.storage_block_mib},
                                  {"block_month_fen", terms_.storage_block_month_fen}};
    out["provider"] =
        json::object{{"company", provider_.company},     {"address", provider_.address},
                     {"phone", provider_.phone},         {"email", provider_.email},
                     {"bank_name", provider_.bank_name}, {"bank_account", provider_.bank_account}};
    return out;
  });
}

Result<json::object> BillingService::ListPriceLists(const Principal&, const Page& page) {
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(
        "SELECT version, note, published_at, published_by, document FROM price_lists "
        "WHERE version < ? ORDER BY version DESC LIMIT ?",
        {V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) {
      return json::object{{"version", r.integer(0)},
                          {"note", r.text(1)},
                          {"published_at", Format(FromMicros(r.integer(2)))},
                          {"published_by", OrNull(r.opt_integer(3))},
                          {"document", ParseJson(r.text(4))->as_object()}};
    });
  });
}

Result<json::object> BillingService::PublishPriceList(const Principal& op, const json::object& body,
                                                      const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"note", "document"});
  auto note = f.String("note", true, 1, 200);
  const auto* doc = body.if_contains("document");
  if (!doc || !doc->is_object()) f.Fail("document", "required: the price list");
  if (!f.ok()) return f.ToError();
  auto list = ParsePriceList(doc->as_object());
  if (!list.ok()) return std::move(list).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t version = c.QueryInt("SELECT coalesce(max(version), 0) + 1 FROM price_lists");
    c.Exec(
        "INSERT INTO price_lists (version, document, note, published_at, published_by) "
        "VALUES (?, ?, ?, ?, ?)",
        {V(version), V(ToJson(list->ToJson())), V(*note), V(ToMicros(meta.now)),
         V(op.operator_id)});
    json::object view{{"version", version}, {"note", *note}, {"document", list->ToJson()}};
    identity::RecordOperatorAudit(c, op.operator_id, op.name, meta,
                                  {"price_list.publish",
                                   "price_list",
                                   std::to_string(version),
                                   {},
                                   json::object{{"note", *note}}},
                                  0);
    return view;
  });
}

// ---- Orders --------------------------------------------------------------------------------

json::object BillingService::OrderView(Connection& c, const Row& r) {
  // r: order_id, number, kind, status, price_list_version, plan_code, seats, years, blocks,
  // points, term_start, term_end, total_fen, details, created_at, accepted_at, accepted_by,
  // paid_at, cancelled_at, tenant_id
  std::int64_t tenant_id = r.integer(19);
  std::vector<Line> lines;
  for (const auto& l :
       c.Query("SELECT code, description, quantity, unit_fen, amount_fen FROM order_lines "
               "WHERE tenant_id = ? AND order_id = ? ORDER BY line_no",
               {V(tenant_id), V(r.integer(0))})
           .rows) {
    lines.push_back({l.text(0), l.text(1), l.integer(2), l.integer(3), l.integer(4)});
  }
  auto opt_time = [&](std::size_t i) -> json::value {
    if (r.is_null(i)) return nullptr;
    return json::value(Format(FromMicros(r.integer(i))));
  };
  json::object o{{"id", r.integer(0)},
                 {"number", r.text(1)},
                 {"kind", r.text(2)},
                 {"status", r.text(3)},
                 {"tenant_id", tenant_id},
                 {"price_list_version", r.integer(4)},
                 {"plan", OrNull(r.opt_text(5))},
                 {"seats", OrNull(r.opt_integer(6))},
                 {"years", OrNull(r.opt_integer(7))},
                 {"blocks", OrNull(r.opt_integer(8))},
                 {"points", OrNull(r.opt_integer(9))},
                 {"term_start", OrNull(r.opt_text(10))},
                 {"term_end", OrNull(r.opt_text(11))},
                 {"lines", LinesJson(lines)},
                 {"total_fen", r.integer(12)},
                 {"created_at", Format(FromMicros(r.integer(14)))},
                 {"accepted_at", opt_time(15)},
                 {"accepted_by", OrNull(r.opt_integer(16))},
                 {"paid_at", opt_time(17)},
                 {"cancelled_at", opt_time(18)}};
  if (auto details = ParseJson(r.text(13)); details && details->is_object()) {
    for (const auto& kv : details->as_object()) o[kv.key()] = kv.value();
  }
  auto invoice = c.QueryOne(
      "SELECT invoice_id, number FROM invoices WHERE tenant_id = ? AND order_id = ?",
      {V(tenant_id), V(r.integer(0))});
  o["invoice"] = invoice ? json::value(json::object{{"id", invoice->integer(0)},
                                                    {"number", invoice->text(1)}})
                         : json::value(nullptr);
  o["bank"] = json::object{{"payee", provider_.company},
                           {"bank_name", provider_.bank_name},
                           {"bank_account", provider_.bank_account},
                           {"reference", r.text(1)}};
  return o;
}

Result<json::object> BillingService::InsertOrder(Connection& c, const Tenant& t,
                                                 std::string_view kind, std::int64_t version,
                                                 const std::vector<Line>& lines,
                                                 json::object fields,
                                                 std::optional<std::int64_t> user_id,
                                                 const RequestMeta& meta) {
  std::int64_t order_id = c.NextId();
  Date today = zone_.LocalDate(meta.now);
  std::string number = NextNumber(c, "SO", static_cast<int>(today.year()));
  auto take_int = [&](const char* key) -> std::optional<std::int64_t> {
    auto v = GetInt(fields, key);
    fields.erase(key);
    return v;
  };
  auto take_text = [&](const char* key) -> std::optional<std::string> {
    auto v = GetString(fields, key);
    fields.erase(key);
    return v;
  };
  auto plan = take_text("plan");
  auto seats = take_int("seats");
  auto years = take_int("years");
  auto blocks = take_int("blocks");
  auto points = take_int("points");
  auto term_start = take_text("term_start");
  auto term_end = take_text("term_end");
  fields["parties"] = json::object{
      {"provider", json::object{{"company", provider_.company},
                                {"address", provider_.address},
                                {"tax_id", provider_.tax_id},
                                {"phone", provider_.phone},
                                {"email", provider_.email},
                                {"bank_name", provider_.bank_name},
                                {"bank_account", provider_.bank_account}}},
      {"tenant", json::object{{"company", t.name}, {"slug", t.slug}, {"email", t.contact_email}}}};
  c.Exec(fmt::format("INSERT INTO orders ({}) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?, ?, ?, NULL, NULL, NULL, NULL, ?)",
                     kOrderColumns),
         {V(order_id), V(number), V(kind), V(version), V(plan), V(seats), V(years), V(blocks),
          V(points), V(term_start), V(term_end), V(Total(lines)), V(ToJson(fields)),
          V(ToMicros(meta.now)), V(t.id)});
  c.Exec("UPDATE orders SET created_by = ? WHERE tenant_id = ? AND order_id = ?",
         {V(user_id), V(t.id), V(order_id)});
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    c.Exec(
        "INSERT INTO order_lines (tenant_id, order_id, line_no, code, description, quantity, "
        "unit_fen, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {V(t.id), V(order_id), V(static_cast<std::int64_t>(i + 1)), V(l.code), V(l.description),
         V(l.quantity), V(l.unit_fen), V(l.amount_fen)});
  }
  RecordEvent(
      c, t.id, meta.now, "order.placed",
      json::object{
          {"order_id", order_id}, {"number", number}, {"kind", kind}, {"total_fen", Total(lines)}});
  auto row = c.QueryOne(
      fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
      {V(t.id), V(order_id)});
  return OrderView(c, *row);
}

Result<json::object> BillingService::SignUp(const json::object& body, const RequestMeta& meta) {
  Fields f(body);
  f.OnlyKeys({"company", "slug", "boss", "plan", "seats", "packages", "years"});
  auto company = f.String("company", true, 1, 100);
  auto slug = f.String("slug", true, 2, 40);
  auto plan = f.String("plan", true, 1, 40);
  auto seats = f.Int("seats", false, 0, 100000).value_or(0);
  auto years = f.Int("years", true, 1, 10);
  const auto* boss = body.if_contains("boss");
  if (!boss || !boss->is_object())
    f.Fail("boss", "required: {name, login, email, mobile, password}");
  std::vector<PackageCount> packages;
  if (const auto* p = body.if_contains("packages")) packages = PackagesFromJson(*p);
  if (boss && boss->is_object()) {
    Fields b(boss->as_object());
    b.String("email", true, 3, 200);
    b.String("mobile", true, 5, 40);
    b.Secret("password", true);
    for (const auto& [k, v] : b.errors()) f.Fail("boss." + k, v);
  }
  if (!f.ok()) return f.ToError();
  auto seed = identity_.ReadTenantSeed(json::object{{"slug", *slug},
                                                    {"name", *company},
                                                    {"seats", std::max<std::int64_t>(seats, 1)},
                                                    {"boss", boss->as_object()}});
  if (!seed.ok()) return std::move(seed).error();
  return db_.Write([&](Connection& c) -> Result<json::object> {
    std::int64_t version = 0;
    auto list = LoadPriceList(c, &version);
    if (!list.ok()) return std::move(list).error();
    SeatGroup group{*plan, static_cast<int>(seats), packages};
    int total_seats = group.Seats(*list);
    if (total_seats < 1) return FieldError("seats", "order at least one seat");
    Date today = zone_.LocalDate(meta.now);
    auto lines = PriceTerm(*list, terms_, group, static_cast<int>(*years), 0, false, today);
    if (!lines.ok()) return std::move(lines).error();
    identity::TenantSeed s = *seed;
    s.seats = total_seats;
    auto tenant = identity_.InsertTenant(c, s, "ordered", meta);
    if (!tenant.ok()) return tenant;
    std::int64_t tenant_id = tenant->at("id").as_int64();
    std::int64_t boss_id = tenant->at("boss").as_object().at("id").as_int64();
    c.Exec("UPDATE tenants SET plan_code = ?, packages = ? WHERE tenant_id = ?",
           {V(*plan), V(ToJson(PackagesToJson(packages))), V(tenant_id)});
    auto t = LoadTenant(c, tenant_id);
    auto order =
        InsertOrder(c, *t, "subscription", version, *lines,
                    json::object{{"plan", *plan},
                                 {"seats", total_seats},
                                 {"years", *years},
                                 {"group", json::object{{"single_seats", seats},
                                                        {"packages", PackagesToJson(packages)}}}},
                    boss_id, meta);
    if (!order.ok()) return order;
    // Placing the first order is the boss's acceptance of it.
    c.Exec(
        "UPDATE orders SET accepted_at = ?, accepted_by = ? WHERE tenant_id = ? AND order_id = ?",
        {V(ToMicros(meta.now)), V(boss_id), V(tenant_id), V(order->at("id").as_int64())});
    (*order)["accepted_at"] = Format(meta.now);
    (*order)["accepted_by"] = boss_id;
    RecordEvent(c, tenant_id, meta.now, "tenant.signed_up",
                json::object{{"slug", *slug}, {"order", order->at("number")}});
    json::object out{{"tenant", std::move(*tenant)}, {"order", std::move(*order)}};
    out["next_step"] =
        "请按订单金额转账，备注订单号；款项确认后开通服务。Pay the order total by bank transfer "
        "quoting the order number; the service opens once the payment is confirmed.";
    return out;
  });
}

Result<json::object> BillingService::ListOrders(const Principal& who, const Page& page) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto rows = c.Query(fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id < ? "
                                    "ORDER BY order_id DESC LIMIT ?",
                                    kOrderColumns),
                        {V(who.tenant_id), V(identity::CursorBefore(page)), V(page.limit)});
    return identity::PageOfRows(rows, page, [&](const Row& r) { return OrderView(c, r); });
  });
}

Result<json::object> BillingService::GetOrder(const Principal& who, std::int64_t id) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Read([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("order");
    return OrderView(c, *row);
  });
}

Result<json::object> BillingService::PlaceOrder(const Principal& who, const json::object& body,
                                                const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  Fields f(body);
  f.OnlyKeys({"kind", "years", "seats", "blocks", "pack", "quantity"});
  auto kind = f.Enum("kind", true, {"renewal", "seats", "storage", "sms", "fax"});
  if (!f.ok()) return f.ToError();
  std::optional<std::int64_t> years, seats, blocks, quantity;
  std::optional<std::string> pack;
  if (*kind == "renewal") years = f.Int("years", true, 1, 10);
  if (*kind == "seats") seats = f.Int("seats", true, 1, 100000);
  if (*kind == "storage") blocks = f.Int("blocks", true, 1, 10000);
  if (*kind == "sms" || *kind == "fax") {
    pack = f.String("pack", true, 1, 40);
    quantity = f.Int("quantity", false, 1, 1000).value_or(1);
  }
  if (!f.ok()) return f.ToError();
  Date today = zone_.LocalDate(meta.now);
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto t = LoadTenant(c, who.tenant_id);
    std::int64_t version = 0;
    auto list = LoadPriceList(c, &version);
    if (!list.ok()) return std::move(list).error();
    Lifecycle lc = t->lifecycle();
    if (!t->expiry || !t->plan) {
      return Error::Conflict("tenant_not_active",
                             "The subscription has not started yet: its first order is unpaid.");
    }
    std::vector<Line> lines;
    json::object fields;
    if (*kind == "renewal") {
      KELU_RETURN_IF_ERROR(CheckRenewable(lc));
      // From day 60 nothing can be reopened: refuse the order itself, citing the rule.
      auto due = RenewalAmountDue(terms_, 0, *t->expiry, today);
      if (!due.ok()) return std::move(due).error();
      auto priced = PriceTerm(*list, terms_, t->RenewalGroup(*list), static_cast<int>(*years),
                              t->blocks, true, today);
      if (!priced.ok()) return std::move(priced).error();
      lines = std::move(*priced);
      SeatGroup group = t->RenewalGroup(*list);
      fields = {{"plan", group.plan},
                {"seats", group.Seats(*list)},
                {"years", *years},
                {"blocks", t->blocks},
                {"term_start", FormatDate(*t->expiry)},
                {"term_end", FormatDate(AddYears(*t->expiry, static_cast<int>(*years)))},
                {"reopening", due->reopening},
                {"late_charges_note",
                 "逾期续费按日加收利息（每 30 日 1.5%），恢复服务另收恢复费；以付款日计算。Late "
                 "renewals add interest (1.5 % per 30 days) per day until the payment date, and "
                 "a reopening fee from day 30."}};
    } else {
      if (lc.state != State::kActive) {
        return Error::Conflict("tenant_suspended",
                               "Only an active subscription can buy seats, storage or points.");
      }
      if (*kind == "seats") {
        const Plan* plan = list->FindPlan(*t->plan);
        if (!plan) return FieldError("plan", "the tenant's plan is no longer on the price list");
        Fen amount = AddedSeatsAmount(plan->seat_year_fen, static_cast<int>(*seats), *t->anchor,
                                      today, *t->expiry);
        lines.push_back({"added_seats:" + plan->code,
                         fmt::format("{} 新增授权账号 {} 个，{} 至 {}（按剩余期限折算）",
                                     plan->name, *seats, FormatDate(today), FormatDate(*t->expiry)),
                         *seats, plan->seat_year_fen, amount});
        fields = {{"plan", plan->code},
                  {"seats", *seats},
                  {"term_start", FormatDate(today)},
                  {"term_end", FormatDate(*t->expiry)}};
      } else if (*kind == "storage") {
        int months = StartedMonths(today, *t->expiry);
        lines.push_back({"storage",
                         fmt::format("附件扩容 {} 块（每块 {} MB）× {} 个月，{} 至 {}", *blocks,
                                     terms_.storage_block_mib, months, FormatDate(today),
                                     FormatDate(*t->expiry)),
                         *blocks * months, terms_.storage_block_month_fen,
                         StorageOrderAmount(terms_, static_cast<int>(*blocks), today, *t->expiry)});
        fields = {{"blocks", *blocks},
                  {"term_start", FormatDate(today)},
                  {"term_end", FormatDate(*t->expiry)}};
      } else {
        const Pack* p = list->FindPack(*kind, *pack);
        if (!p) return FieldError("pack", "is not on the price list");
        lines.push_back({*kind + ":" + p->code, fmt::format("{} × {}", p->name, *quantity),
                         *quantity, p->price_fen, p->price_fen * *quantity});
        fields = {{"points", static_cast<std::int64_t>(p->units) * *quantity}};
      }
    }
    auto order = InsertOrder(c, *t, *kind, version, lines, std::move(fields), who.user_id, meta);
    if (!order.ok()) return order;
    identity::RecordAudit(c, who, meta,
                          {"order.place",
                           "order",
                           std::to_string(order->at("id").as_int64()),
                           {},
                           json::object{{"kind", *kind}, {"total_fen", order->at("total_fen")}}});
    return order;
  });
}

Result<json::object> BillingService::AcceptOrder(const Principal& who, std::int64_t id,
                                                 const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("order");
    if (row->text(3) != "pending") {
      return Error::Conflict("order_not_pending", "Only a pending order can be accepted.");
    }
    if (!row->is_null(15)) return OrderView(c, *row);  // accepted already: answer as it is
    c.Exec(
        "UPDATE orders SET accepted_at = ?, accepted_by = ? WHERE tenant_id = ? AND order_id = ?",
        {V(ToMicros(meta.now)), V(who.user_id), V(who.tenant_id), V(id)});
    identity::RecordAudit(c, who, meta, {"order.accept", "order", std::to_string(id), {}, {}});
    RecordEvent(c, who.tenant_id, meta.now, "order.accepted",
                json::object{{"order_id", id}, {"user_id", who.user_id}});
    auto again = c.QueryOne(
        fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
        {V(who.tenant_id), V(id)});
    return OrderView(c, *again);
  });
}

Result<json::object> BillingService::CancelOrder(const Principal& who, std::int64_t id,
                                                 const RequestMeta& meta) {
  KELU_RETURN_IF_ERROR(RequireBoss(who));
  return db_.Write([&](Connection& c) -> Result<json::object> {
    auto changed = c.Exec(
        "UPDATE orders SET status = 'cancelled', cancelled_at = ? "
        "WHERE tenant_id = ? AND order_id = ? AND status = 'pending' AND kind <> 'subscription'",
        {V(ToMicros(meta.now)), V(who.tenant_id), V(id)});
    auto row = c.QueryOne(
        fmt::format("SELECT {} FROM orders WHERE tenant_id = ? AND order_id = ?", kOrderColumns),
        {V(who.tenant_id), V(id)});
    if (!row) return Error::NotFound("order");
    if (changed == 0) {
      return Error::Conflict("order_not_pending",
                             "Only a pending order other than the first subscription can be "
                             "cancelled.");
    }
    identity::RecordAudit(c, who, meta, {"order.cancel", "order", std::to_string(id), {}, {}});
    return OrderView(c, *row);
  });
}

}  // namespace kelu::billing
