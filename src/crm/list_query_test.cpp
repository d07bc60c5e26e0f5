// The customer and contact lists' q answer the same whether their candidates come from the
// search indexes or every record of the tenant is compared: names in any case and width, short
// names, emails, phones and contacts' phones however typed, LIKE's own characters, letters with
// case beyond ASCII.
// On SQLite, and on PostgreSQL when KELU_TEST_PG_URL names a server.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "crm/internal.hpp"
#include "storage/scratch_test.hpp"

namespace kelu::crm {
namespace {

using storage::Connection;
using storage::V;

class ListQueryTest : public storage::ScratchDatabaseTest {
 protected:
  // What the lists answer for q: the customers' ids and total, and the contacts' ids; with
  // candidates from the search indexes (`cap` documents at most), or comparing every record
  // (cap 0).
  struct Answer {
    std::set<std::int64_t> customers;
    std::int64_t total = -1;
    std::set<std::int64_t> contacts;
  };
  Answer List(const std::string& q, int cap) {
    Principal who;
    who.tenant_id = 1;
    who.user_id = 2;
    internal::Visibility everything{.all = true, .tenant_id = 1};
    return scratch_->db().Read([&](Connection& c) {
      Answer out;
      Page page;
      page.limit = 1000;
      auto customers = internal::CustomerListQueryFor(c, who, everything, {{"q", q}}, page, cap);
      auto contacts = internal::ContactListQueryFor(c, who, everything, {{"q", q}}, page, cap);
      EXPECT_TRUE(customers.ok() && contacts.ok()) << q;
      if (!customers.ok() || !contacts.ok()) return out;
      const auto& list = customers.value();
      for (const auto& r : c.QueryPlannedEachCall(list.page_sql, list.page_params).rows) {
        out.customers.insert(r.integer(0));
      }
      out.total = c.QueryPlannedEachCall(list.count_sql, list.count_params).rows.at(0).integer(0);
      for (const auto& r :
           c.QueryPlannedEachCall(contacts.value().sql, contacts.value().params).rows) {
        out.contacts.insert(r.integer(0));
      }
      return out;
    });
  }
};

// UTF-8 pieces of `s`, one per code point.
std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    auto lead = static_cast<unsigned char>(s[i]);
    std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

TEST_P(ListQueryTest, CandidatesFromTheSearchIndexesChangeNoAnswer) {
  std::mt19937 rng(20261201);
  auto pick = [&](const auto& options) { return options[rng() % std::size(options)]; };
  const std::vector<std::string> pieces = {
      "翠湖",  "银河",       "有限公司", "科技", "上海", "Kelu", "KELU", "kelu",     "Ｋｅｌｕ",
      "Trade", "ｔｒａｄｅ", " ",        "  ",   "%",    "_",    "\\",   "Привет",   "привет",
      "Über",  "über",       "（北京）", "-",    "138",  "0013", "A&B",  "株式会社", "서울"};
  const std::vector<std::string> phone_forms = {"{}",  "+86 {}", "0086-{}",
                                                "{} ", "（{}）", "{}转8"};
  auto phone = [&] {
    std::string digits = rng() % 2 ? "1" : "0";
    int n = rng() % 2 ? 10 : 9;
    for (int i = 0; i < n; ++i) digits += static_cast<char>('0' + rng() % 10);
    if (rng() % 3 == 0) digits.insert(3, "-");
    if (rng() % 4 == 0) digits.insert(digits.size() - 4, " ");
    return fmt::format(fmt::runtime(pick(phone_forms)), digits);
  };
  auto text = [&](int most) {
    std::string out;
    int n = 1 + static_cast<int>(rng() % most);
    for (int i = 0; i < n; ++i) out += pick(pieces);
    return out;
  };

  // 200 customers, some with short names, phones and contacts.
  struct Made {
    std::vector<std::string> texts;  // what a user might type part of
  };
  std::vector<Made> made;
  Status seeded = scratch_->db().Write([&](Connection& c) -> Status {
    c.Exec(
        "INSERT INTO tenants (tenant_id, slug, name, state, seats, created_at, updated_at) "
        "VALUES (1, 't', 'T', 'active', 1, 0, 0)");
    std::vector<std::int64_t> ids;
    std::int64_t contact_id = 100'000;
    for (std::int64_t id = 1; id <= 200; ++id) {
      Made m;
      std::string name = text(4);
      std::string short_name = rng() % 3 == 0 ? text(2) : "";
      std::vector<std::string> phones;
      for (int i = static_cast<int>(rng() % 3); i > 0; --i) phones.push_back(phone());
      json::array phones_json;
      for (const auto& p : phones) phones_json.emplace_back(p);
      c.Exec(
          "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, short_name, "
          "phones, created_at, updated_at) VALUES (1, ?, 'company', ?, ?, ?, ?, 0, ?)",
          {V(id), V(name), V(name), V(short_name), V(ToJson(json::value(phones_json))), V(id)});
      internal::IndexContactPoints(c, 1, id, std::nullopt, phones, {},
                                   internal::PointsOf::kNewRecord);
      m.texts = {name, short_name};
      m.texts.insert(m.texts.end(), phones.begin(), phones.end());
      for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
        std::string contact = text(2), mobile = rng() % 2 ? phone() : "",
                    office = rng() % 3 ? "" : phone();
        const char* emails[] = {"", "{}@qq.com", "Zhang.Wei{}@Example.CN", "li na {}@kelu.cn",
                                "ｗａｎｇ{}@163.com"};
        std::string email = fmt::format(fmt::runtime(pick(emails)), rng() % 100'000'000);
        c.Exec(
            "INSERT INTO contacts (tenant_id, contact_id, customer_id, name, mobile, phone, "
            "email, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, 0, 0)",
            {V(++contact_id), V(id), V(contact), V(mobile), V(office), V(email)});
        internal::IndexContactPoints(c, 1, id, contact_id, {mobile, office}, {email},
                                     internal::PointsOf::kNewRecord);
        m.texts.insert(m.texts.end(), {contact, mobile, office, email});
      }
      made.push_back(std::move(m));
      ids.push_back(id);
    }
    internal::ReindexCustomers(c, 1, ids);
    // Deleted customers keep no place in the list, whichever way it is read.
    c.Exec("UPDATE customers SET deleted_at = 1 WHERE tenant_id = 1 AND customer_id % 17 = 0");
    return OkStatus();
  });
  ASSERT_TRUE(seeded.ok()) << seeded.error().message;

  // Parts of what was written, as a user might type them, and a few fixed ones.
  std::vector<std::string> queries = {"%",        "_",      "\\",     "有限", "kelu",   "KELU",
                                      "ｋｅｌｕ", "привет", "ПРИВЕТ", "über", "138",    "+86 138",
                                      "qq.com",   "0013",   "a",      "翠",   "（北京", "湖银",
                                      "  ",       "1-3",    "a&b",    "株式", "서울",   "ｔｒａ"};
  for (int i = 0; i < 300; ++i) {
    const Made& m = made[rng() % made.size()];
    auto chars = Chars(m.texts[rng() % m.texts.size()]);
    if (chars.empty()) continue;
    std::size_t from = rng() % chars.size();
    std::size_t n = 1 + rng() % std::min<std::size_t>(8, chars.size() - from);
    std::string q;
    for (std::size_t k = from; k < from + n; ++k) q += chars[k];
    if (rng() % 5 == 0) {
      for (char& ch : q) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    if (rng() % 7 == 0) q = " " + q + " ";
    queries.push_back(q);
  }
  int customers_indexed = 0, contacts_indexed = 0, contacts_found = 0;
  for (const auto& q : queries) {
    Answer walked = List(q, 0);
    Answer indexed = List(q, internal::kListCandidateCap);
    EXPECT_EQ(indexed.customers, walked.customers) << "customers, q = \"" << q << "\"";
    EXPECT_EQ(indexed.total, walked.total) << "q = \"" << q << "\"";
    EXPECT_EQ(indexed.contacts, walked.contacts) << "contacts, q = \"" << q << "\"";
    contacts_found += !walked.contacts.empty();
    scratch_->db().Read([&](Connection& c) {
      for (auto [list, count] : {std::pair{internal::ListOf::kCustomers, &customers_indexed},
                                 std::pair{internal::ListOf::kContacts, &contacts_indexed}}) {
        *count += internal::RecordsPossiblyMatching(c, 1, list, q, internal::kListCandidateCap)
                      .has_value();
      }
    });
  }
  // Most queries took their candidates from the indexes (the rest: too short, letters with case
  // beyond ASCII, a space in a contact's query), and many found contacts.
  EXPECT_GT(customers_indexed, static_cast<int>(queries.size()) / 2);
  EXPECT_GT(contacts_indexed, static_cast<int>(queries.size()) / 3);
  EXPECT_GT(contacts_found, 30);
}

INSTANTIATE_TEST_SUITE_P(Drivers, ListQueryTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace kelu::crm
