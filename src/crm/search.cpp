// CrmService: the search index and search over customers and contacts.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/validation.hpp"
#include "crm/internal.hpp"
#include "crm/normalize.hpp"

namespace kelu::crm {

using storage::Connection;
using storage::V;
using namespace internal;

namespace {

// Searchable form: half-width, ASCII lower case, white space folded to single spaces.
std::string SearchForm(std::string_view text) {
  std::string half = ToHalfWidth(text);
  std::string out;
  bool space = false;
  for (char ch : half) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
  }
  return out;
}

// The code points of `s` as UTF-8 pieces.
std::vector<std::string> CodePoints(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    // A byte that starts no sequence stands for itself.
    std::size_t len =
        std::max<std::size_t>(Utf8SequenceLength(static_cast<unsigned char>(s[i])), 1);
    len = std::min(len, s.size() - i);
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// Every pair of adjacent characters within a word.
std::set<std::string> Bigrams(const std::string& text) {
  std::set<std::string> grams;
  auto cps = CodePoints(text);
  for (std::size_t i = 0; i + 1 < cps.size(); ++i) {
    if (cps[i] == " " || cps[i + 1] == " ") continue;
    grams.insert(cps[i] + cps[i + 1]);
  }
  return grams;
}

// A character pair as the 2-character index knows it: the tenant first, so that a query
// reads only its own tenant's entries (see migration 0025).
std::string GramToken(std::int64_t tenant_id, std::string_view gram) {
  return fmt::format("t{}.{}", tenant_id, gram);
}

// An FTS5 query for one phrase: the text in double quotes, its own quotes doubled.
std::string FtsPhrase(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

// Documents written by one reindexing, whose index entries are written together at the end.
struct NewDocs {
  std::vector<std::int64_t> docs;
  std::vector<std::pair<std::string, std::int64_t>> grams;  // gram, doc (PostgreSQL)
};

// One search document: the name and other names (short name) give the 2-character index,
// which serves Chinese names; every part is in the text that 3+ character queries match
// (phones' digits, emails too).
void AddDoc(Connection& c, NewDocs& out, std::int64_t tenant_id, const char* entity,
            std::int64_t entity_id, std::int64_t customer_id, const std::string& name,
            const std::string& other_name, const std::vector<std::string>& parts) {
  std::string names = SearchForm(name);
  std::string other = SearchForm(other_name);
  if (!other.empty()) names += " " + other;
  std::string text = names;
  for (const auto& p : parts) {
    if (!p.empty()) text += " " + p;
  }
  std::int64_t doc = c.NextId();
  std::set<std::string> pairs = Bigrams(names);
  std::string grams;
  for (const auto& g : pairs) {
    if (!grams.empty()) grams += ' ';
    grams += GramToken(tenant_id, g);
  }
  c.Queue(
      "INSERT INTO search_docs (tenant_id, doc_id, entity, entity_id, customer_id, name, text, "
      "grams) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {V(tenant_id), V(doc), V(entity), V(entity_id), V(customer_id), V(name), V(text), V(grams)});
  out.docs.push_back(doc);
  if (c.dialect() == storage::Dialect::kPostgres) {
    for (const auto& g : pairs) out.grams.emplace_back(g, doc);
  }
}

void AddContactDoc(Connection& c, NewDocs& out, std::int64_t tenant_id, std::int64_t customer_id,
                   const storage::Row& ct) {
  AddDoc(c, out, tenant_id, "contact", ct.integer(0), customer_id, ct.text(1), "",
         {NormalizePhone(ct.text(2)), NormalizePhone(ct.text(3)), NormalizeEmail(ct.text(4))});
}

constexpr const char* kContactDocColumns = "contact_id, name, mobile, phone, email";

// Writes the documents' index entries.
// - SQLite: both full-text indexes (trigram, 2-character) take the whole batch in one
//   statement each: FTS5 writes its pending terms out at every statement savepoint, so one
//   statement costs one write instead of one per document.
// - PostgreSQL indexes search_docs.text itself; the 2-character entries go to the bigram table
//   in key order (a batch's grams then land on neighbouring pages), in one COPY.
void WriteIndexEntries(Connection& c, std::int64_t tenant_id, NewDocs& d) {
  if (c.dialect() == storage::Dialect::kSqlite) {
    if (d.docs.empty()) return;
    for (const char* index :
         {"search_fts (rowid, tenant, text) SELECT doc_rowid, tenant, text FROM search_fts_source",
          "search_grams (rowid, grams) SELECT rowid, grams FROM search_docs"}) {
      storage::Params params{V(tenant_id)};
      std::string docs = IdIn(c.dialect(), "doc_id", d.docs, params);
      c.Exec(fmt::format("INSERT INTO {} WHERE tenant_id = ? AND {}", index, docs), params);
    }
    return;
  }
  std::sort(d.grams.begin(), d.grams.end());
  if (d.grams.empty()) return;
  c.CopyIn("search_bigrams", {"tenant_id", "gram", "doc_id"},
           [&](const storage::Connection::RowSink& sink) {
             for (const auto& [gram, doc] : d.grams) {
               sink(storage::Row({V(tenant_id), V(gram), V(doc)}));
             }
           });
}

}  // namespace

namespace internal {

void ReindexCustomers(Connection& c, std::int64_t tenant_id,
                      const std::vector<std::int64_t>& customer_ids) {
  if (customer_ids.empty()) return;
  // Three statements for the whole list, whatever its length.
  storage::Params params{V(tenant_id)};
  std::string in = IdIn(c.dialect(), "customer_id", customer_ids, params);
  c.Exec("DELETE FROM search_docs WHERE tenant_id = ? AND " + in, params);
  std::unordered_map<std::int64_t, storage::Row> customers;
  for (auto& r : c.Query("SELECT customer_id, name, short_name, phones FROM customers WHERE "
                         "tenant_id = ? AND " +
                             in + " AND deleted_at IS NULL",
                         params)
                     .rows) {
    std::int64_t id = r.integer(0);
    customers.emplace(id, std::move(r));
  }
  std::unordered_map<std::int64_t, std::vector<storage::Row>> contacts;
  for (auto& r : c.Query(fmt::format("SELECT {}, customer_id FROM contacts WHERE tenant_id = ? "
                                     "AND {} AND deleted_at IS NULL ORDER BY contact_id",
                                     kContactDocColumns, in),
                         params)
                     .rows) {
    std::int64_t customer = r.integer(5);
    contacts[customer].push_back(std::move(r));
  }
  NewDocs out;
  for (std::int64_t customer_id : customer_ids) {
    auto cu = customers.find(customer_id);
    if (cu == customers.end()) continue;
    std::vector<std::string> parts;
    for (const auto& p : JsonArray(cu->second.text(3)))
      parts.push_back(NormalizePhone(p.as_string()));
    AddDoc(c, out, tenant_id, "customer", customer_id, customer_id, cu->second.text(1),
           cu->second.text(2), parts);
    for (const auto& ct : contacts[customer_id]) AddContactDoc(c, out, tenant_id, customer_id, ct);
    customers.erase(cu);  // once, should the list name it twice
  }
  WriteIndexEntries(c, tenant_id, out);
}

std::string TrigramTenantMark(std::int64_t tenant_id) {
  // Base 6400, lowest digit first, each digit the private-use code point U+E000 + digit:
  // three bytes of UTF-8 each (1110xxxx 10xxxxxx 10xxxxxx).
  std::string out;
  for (int i = 0; i < 3; ++i) {
    auto cp = static_cast<std::uint32_t>(0xE000 + tenant_id % 6400);
    tenant_id /= 6400;
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string TrigramQuery(std::int64_t tenant_id, std::string_view text) {
  return "tenant : " + FtsPhrase(TrigramTenantMark(tenant_id)) + " AND text : " + FtsPhrase(text);
}

namespace {

// True when no character of `text` has a case that only a Unicode-aware comparison folds:
// ASCII (folded in the search form), and the scripts without case that Chinese names are
// written in (CJK, kana, Hangul, their punctuation, full-width forms). Then the search form of
// a name contains q's whenever PostgreSQL's ILIKE finds q in the name.
bool CaseFoldsAsAscii(std::string_view text) {
  for (const auto& piece : CodePoints(text)) {
    auto lead = static_cast<unsigned char>(piece[0]);
    if (lead < 0x80) continue;
    if (piece.size() < 3) return false;  // Latin-1, Greek, Cyrillic …: letters with case
    std::uint32_t cp = piece.size() == 3 ? lead & 0x0F : lead & 0x07;
    for (std::size_t i = 1; i < piece.size(); ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(piece[i]) & 0x3F);
    }
    bool caseless = (cp >= 0x2000 && cp <= 0x206F) ||  // general punctuation
                    (cp >= 0x2E80 && cp <= 0x9FFF) ||  // CJK, kana, their punctuation
                    (cp >= 0xAC00 && cp <= 0xD7AF) ||  // Hangul
                    (cp >= 0xF900 && cp <= 0xFAFF) ||  // CJK compatibility
                    (cp >= 0xFE30 && cp <= 0xFE4F) ||  // CJK compatibility forms
                    (cp >= 0xFF00 && cp <= 0xFFEF) ||  // full-width and half-width forms
                    (cp >= 0x20000 && cp <= 0x3FFFF);  // CJK extensions
    if (!caseless) return false;
  }
  return true;
}

// The records (customers, or contacts) of up to `limit` of the tenant's documents containing
// `needle` (in search form): the 2-character index for two characters, the text index for more.
std::vector<std::int64_t> RecordsOfDocsContaining(Connection& c, std::int64_t tenant_id,
                                                  ListOf list, const std::string& needle,
                                                  int limit) {
  bool pair = CodePoints(needle).size() == 2;
  // A customer's list reads the documents of its contacts too (their phones are the customer's).
  const bool contacts = list == ListOf::kContacts;
  const char* record = contacts ? "d.entity_id" : "d.customer_id";
  const char* entity = contacts ? " AND d.entity = 'contact'" : "";
  std::string sql;
  storage::Params params;
  if (c.dialect() == storage::Dialect::kSqlite) {
    sql = fmt::format(
        "SELECT {1} FROM {0} f JOIN search_docs d ON d.rowid = f.rowid WHERE {0} MATCH ? AND "
        "d.tenant_id = ?{2} LIMIT ?",
        pair ? "search_grams" : "search_fts", record, entity);
    params = {V(pair ? FtsPhrase(GramToken(tenant_id, needle)) : TrigramQuery(tenant_id, needle)),
              V(tenant_id), V(limit)};
  } else if (pair) {
    sql = fmt::format(
        "SELECT {} FROM search_bigrams g JOIN search_docs d ON d.tenant_id = g.tenant_id AND "
        "d.doc_id = g.doc_id WHERE g.tenant_id = ? AND g.gram = ?{} LIMIT ?",
        record, entity);
    params = {V(tenant_id), V(needle), V(limit)};
  } else {
    sql = fmt::format(
        "SELECT {} FROM search_docs d WHERE d.tenant_id = ? AND d.text LIKE ? ESCAPE '\\'{} "
        "LIMIT ?",
        record, entity);
    params = {V(tenant_id), V(LikePattern(needle)), V(limit)};
  }
  std::vector<std::int64_t> out;
  for (const auto& r : c.QueryPlannedEachCall(sql, params).rows) out.push_back(r.integer(0));
  return out;
}

}  // namespace

std::optional<std::vector<std::int64_t>> RecordsPossiblyMatching(Connection& c,
                                                                 std::int64_t tenant_id,
                                                                 ListOf list, std::string_view q,
                                                                 int cap) {
  // The list matches q in names as typed (LIKE / ILIKE); documents hold names in search form.
  // A name containing q has a search form containing q's: the form maps character by
  // character, folds runs of white space to one and drops them at the ends.
  std::string text = SearchForm(q);
  std::size_t length = CodePoints(text).size();
  if (length < 2 || !CaseFoldsAsAscii(text)) return std::nullopt;
  if (list == ListOf::kContacts) {
    // The contact list matches q in emails too, which the 2-character index does not hold, and
    // which documents hold without any white space (NormalizeEmail).
    if (length < 3 || text.find(' ') != std::string::npos) return std::nullopt;
  }
  std::vector<std::string> needles{text};
  // The list matches a phone number's 3+ digits in phones as stored (NormalizePhone): so do
  // the documents.
  if (std::string digits = PhoneDigitsOf(q); digits.size() >= 3 && digits != text) {
    needles.push_back(digits);
  }
  std::vector<std::int64_t> ids;
  int docs = 0;
  for (const auto& needle : needles) {
    auto found = RecordsOfDocsContaining(c, tenant_id, list, needle, cap + 1 - docs);
    docs += static_cast<int>(found.size());
    if (docs > cap) return std::nullopt;
    ids.insert(ids.end(), found.begin(), found.end());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void ReindexCustomer(Connection& c, std::int64_t tenant_id, std::int64_t customer_id) {
  ReindexCustomers(c, tenant_id, {customer_id});
}

void IndexNewContacts(Connection& c, std::int64_t tenant_id,
                      const std::vector<std::int64_t>& contact_ids) {
  if (contact_ids.empty()) return;
  storage::Params params{V(tenant_id)};
  std::unordered_map<std::int64_t, storage::Row> contacts;
  for (auto& r : c.Query(fmt::format("SELECT {}, customer_id FROM contacts WHERE tenant_id = ? "
                                     "AND {} AND deleted_at IS NULL",
                                     kContactDocColumns,
                                     IdIn(c.dialect(), "contact_id", contact_ids, params)),
                         params)
                     .rows) {
    std::int64_t id = r.integer(0);
    contacts.emplace(id, std::move(r));
  }
  NewDocs out;
  for (std::int64_t contact_id : contact_ids) {
    auto ct = contacts.find(contact_id);
    if (ct == contacts.end()) continue;
    AddContactDoc(c, out, tenant_id, ct->second.integer(5), ct->second);
    contacts.erase(ct);  // once, should the list name it twice
  }
  WriteIndexEntries(c, tenant_id, out);
}

}  // namespace internal

Result<json::object> CrmService::Search(const Principal& who, const Filters& query) {
  std::string raw;
  int limit = 20;
  for (const auto& [key, value] : query) {
    if (key == "q") {
      raw = value;
    } else if (key == "limit") {
      limit = std::atoi(value.c_str());
      if (limit < 1 || limit > 50) return FieldError("limit", "must be from 1 to 50");
    } else {
      return FieldError(key, "unknown parameter");
    }
  }
  std::string q = SearchForm(raw);
  // A phone number typed with separators searches by its digits.
  if (std::string digits = PhoneDigitsOf(q); !digits.empty()) q = digits;
  std::size_t length = CodePoints(q).size();
  if (length < 2) return FieldError("q", "type at least 2 characters");
  if (length > 100) return FieldError("q", "must have at most 100 characters");

  return db_.Read([&](Connection& c) -> Result<json::object> {
    Visibility v = VisibilityOf(c, identity_, who);
    const bool sqlite = c.dialect() == storage::Dialect::kSqlite;
    // Two bounded queries, each stopping after `limit` visible documents, so a common query
    // ("有限公司" among a million names) costs no more than a rare one: documents whose text
    // starts with the query (the text index, in text order), and documents containing it
    // anywhere (the 2-character or trigram index, newest first). PostgreSQL plans both for the
    // tenant and the caller: a plan kept for the average of many small tenants walks a big
    // tenant's whole index for a common text (300 000 documents: 434 ms against 0.15 ms), or
    // joins a member's matches to every customer the member sees (100 000 customers, two
    // characters, the generic plan forced: 39 s).
    const char* columns = "d.doc_id, d.entity, d.entity_id, d.customer_id, d.name, cu.name, d.text";
    auto visible = [&](storage::Params& params) {
      return fmt::format(
          "cu.tenant_id = d.tenant_id AND cu.customer_id = d.customer_id AND "
          "cu.deleted_at IS NULL AND ({} OR cu.owner_id IS NULL)",
          OwnerCondition(v, "cu", params));
    };
    // Texts starting with q sort from q up to q followed by the largest code point.
    std::string text = sqlite ? "d.text" : "(d.text COLLATE \"C\")";
    storage::Params prefix_params;
    std::string prefix_scope = visible(prefix_params);
    prefix_params.insert(prefix_params.end(),
                         {V(who.tenant_id), V(q), V(q + "\xF4\x8F\xBF\xBF"), V(limit)});
    auto prefix = c.QueryPlannedEachCall(
        fmt::format("SELECT {0} FROM search_docs d JOIN customers cu ON {1} WHERE d.tenant_id = ? "
                    "AND {2} >= ? AND {2} < ? ORDER BY {2} LIMIT ?",
                    columns, prefix_scope, text),
        prefix_params);
    storage::Params params;
    std::string scope = visible(params);
    std::string anywhere;
    if (length == 2 && !sqlite) {
      params.insert(params.end(), {V(who.tenant_id), V(q)});
      anywhere = fmt::format(
          "SELECT {} FROM search_bigrams g JOIN search_docs d ON d.tenant_id = g.tenant_id AND "
          "d.doc_id = g.doc_id JOIN customers cu ON {} WHERE g.tenant_id = ? AND g.gram = ? "
          "ORDER BY g.doc_id DESC LIMIT ?",
          columns, scope);
    } else if (sqlite) {
      // The 2-character index, or the trigram index read through the tenant's mark.
      const char* index = length == 2 ? "search_grams" : "search_fts";
      params.insert(params.end(), {V(length == 2 ? FtsPhrase(GramToken(who.tenant_id, q))
                                                 : TrigramQuery(who.tenant_id, q)),
                                   V(who.tenant_id)});
      anywhere = fmt::format(
          "SELECT {0} FROM {2} f JOIN search_docs d ON d.rowid = f.rowid JOIN customers cu "
          "ON {1} WHERE {2} MATCH ? AND d.tenant_id = ? ORDER BY f.rowid DESC LIMIT ?",
          columns, scope, index);
    } else {
      params.insert(params.end(), {V(who.tenant_id), V(LikePattern(q))});
      anywhere = fmt::format(
          "SELECT {} FROM search_docs d JOIN customers cu ON {} WHERE d.tenant_id = ? AND "
          "d.text LIKE ? ESCAPE '\\' ORDER BY d.doc_id DESC LIMIT ?",
          columns, scope);
    }
    params.push_back(V(limit));
    std::vector<storage::Row> contained;
    bool complete = false;
    if (sqlite && length > 2) {
      // The trigram index, first without the tenant's mark: the newest matches of all tenants,
      // up to ten pages' worth, each joined to the caller's visible documents or to nothing.
      // Reading the mark's list too costs a tenant that fills the index a third more time (a
      // 7-digit query at 1.1 M customers: 12.9 ms, 17.1 ms with it), so it is read only when
      // those matches leave the page short and there are more: then the tenant's own list,
      // which no other tenant's documents lengthen, gives the page.
      const int candidates = limit * 10;
      storage::Params first{V("text : " + FtsPhrase(q)), V(candidates), V(who.tenant_id)};
      std::string first_scope = visible(first);
      auto newest = c.Query(
          fmt::format("SELECT {0} FROM (SELECT rowid AS r FROM search_fts WHERE search_fts MATCH ? "
                      "ORDER BY rowid DESC LIMIT ?) f LEFT JOIN search_docs d ON d.rowid = f.r "
                      "AND d.tenant_id = ? LEFT JOIN customers cu ON {1} ORDER BY f.r DESC",
                      columns, first_scope),
          first);
      for (auto& r : newest.rows) {  // column 5, cu.name, is null unless the caller sees it
        if (!r.is_null(5) && contained.size() < static_cast<std::size_t>(limit)) {
          contained.push_back(std::move(r));
        }
      }
      complete = contained.size() == static_cast<std::size_t>(limit) ||
                 newest.rows.size() < static_cast<std::size_t>(candidates);
    }
    if (!complete) contained = std::move(c.QueryPlannedEachCall(anywhere, params).rows);

    // Exact names first, then names starting with q, then the rest; customers before contacts,
    // newest first.
    struct Hit {
      int rank;
      const storage::Row* row;
    };
    std::vector<Hit> hits;
    std::set<std::int64_t> seen;
    for (const auto& r : prefix.rows) {
      const std::string& t = r.text(6);
      int rank = t == q || t.starts_with(q + " ") ? 0 : 1;
      if (seen.insert(r.integer(0)).second) hits.push_back({rank, &r});
    }
    for (const auto& r : contained) {
      if (seen.insert(r.integer(0)).second) hits.push_back({2, &r});
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      bool ac = a.row->text(1) == "customer", bc = b.row->text(1) == "customer";
      if (a.rank != b.rank) return a.rank < b.rank;
      if (ac != bc) return ac;
      return a.row->integer(0) > b.row->integer(0);
    });
    if (hits.size() > static_cast<std::size_t>(limit)) hits.resize(limit);
    json::array items;
    for (const auto& h : hits) {
      const storage::Row& r = *h.row;
      items.push_back(json::object{{"type", r.text(1)},
                                   {"id", r.integer(2)},
                                   {"customer_id", r.integer(3)},
                                   {"name", r.text(4)},
                                   {"customer_name", r.text(5)},
                                   {"rank", h.rank}});
    }
    return json::object{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

}  // namespace kelu::crm
