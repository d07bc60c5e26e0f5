#include "storage/database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "storage/migrations.hpp"
#include "storage/postgres.hpp"
#include "storage/schema_check.hpp"
#include "storage/scratch_database.hpp"
#include "storage/sqlite.hpp"

namespace kelu::storage {
namespace {

template <class F>
void MustWrite(Database& db, F f) {
  Status s = db.Write(f);
  ASSERT_TRUE(s.ok()) << s.error().message;
}

// Each test runs on SQLite, and on PostgreSQL too when KELU_TEST_PG_URL names a database
// (make test starts a throwaway server and sets it).
class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<ScratchDatabase>(
        GetParam(), ::testing::UnitTest::GetInstance()->current_test_info()->name(), clock_.now());
    if (!scratch_->available()) GTEST_SKIP() << "KELU_TEST_PG_URL not set";
    ASSERT_EQ(scratch_->migration_error(), "");
    db_ = &scratch_->db();
  }
  // Tenant 1 with the given customers (id, name), for records that hang off a customer.
  void SeedCustomers(const std::vector<std::pair<std::int64_t, std::string>>& customers) {
    MustWrite(*db_, [&](Connection& c) -> Status {
      c.Exec(
          "INSERT INTO tenants (tenant_id, slug, name, state, seats, created_at, updated_at) "
          "VALUES (1, 't', 'T', 'active', 1, 0, 0)");
      for (const auto& [id, name] : customers) {
        c.Exec(
            "INSERT INTO customers (tenant_id, customer_id, kind, name, name_norm, created_at, "
            "updated_at) VALUES (1, ?, 'company', ?, ?, 0, 0)",
            {V(id), V(name), V(name)});
      }
      return OkStatus();
    });
  }
  ManualClock clock_{FromMicros(1'800'000'000'000'000)};
  std::unique_ptr<ScratchDatabase> scratch_;
  Database* db_ = nullptr;
};

TEST_P(DatabaseTest, MigrationsAreRecordedAndIdempotent) {
  EXPECT_EQ(CurrentSchemaVersion(*db_), LatestSchemaVersion());
  auto again = Migrate(*db_, clock_.now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->from_version, again->to_version);
}

TEST_P(DatabaseTest, RefusesASchemaNewerThanTheBinary) {
  MustWrite(*db_, [](Connection& c) {
    c.Exec("INSERT INTO kelu_schema (version, name, applied_at) VALUES (9999, 'future', 0)");
    return OkStatus();
  });
  auto m = Migrate(*db_, clock_.now());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "schema_too_new");
}

TEST_P(DatabaseTest, EveryTenantTableLeadsWithTenantId) {
  auto problems = TenantKeyViolations(*db_);
  for (const auto& p : problems) ADD_FAILURE() << p;
}

TEST_P(DatabaseTest, SchemaCheckCatchesABadTable) {
  MustWrite(*db_, [](Connection& c) {
    c.ExecScript(
        "CREATE TABLE widgets (widget_id BIGINT NOT NULL, tenant_id BIGINT NOT NULL, "
        "PRIMARY KEY (widget_id, tenant_id))");
    return OkStatus();
  });
  auto problems = TenantKeyViolations(*db_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("widgets"), std::string::npos);
}

TEST_P(DatabaseTest, FailedStatusRollsBackTheTransaction) {
  Status s = db_->Write([](Connection& c) -> Status {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('a', '1')");
    return Error::Conflict("nope", "rolled back");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(db_->Read([](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key = 'a'");
  }),
            0);
}

TEST_P(DatabaseTest, ExceptionRollsBackTheTransaction) {
  EXPECT_THROW(db_->Write([](Connection& c) -> Status {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('b', '1')");
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('b', '2')");
    return OkStatus();
  }),
               DatabaseError);
  EXPECT_EQ(db_->Read([](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key = 'b'");
  }),
            0);
}

TEST_P(DatabaseTest, WriteCountMovesWhenAWriteEndsHoweverItEnds) {
  std::uint64_t before = db_->write_count();
  db_->Read([](Connection& c) { return c.QueryInt("SELECT count(*) FROM kelu_settings"); });
  EXPECT_EQ(db_->write_count(), before) << "reads do not count";
  ASSERT_TRUE(db_->Write([](Connection& c) -> Status {
                   c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('w', '1')");
                   return OkStatus();
                 }).ok());
  EXPECT_EQ(db_->write_count(), before + 1);
  EXPECT_FALSE(db_->Write([](Connection&) -> Status { return Error::Conflict("x", "no"); }).ok());
  EXPECT_EQ(db_->write_count(), before + 2);
  EXPECT_THROW(db_->Write([](Connection& c) -> Status {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('w', '2')");
    return OkStatus();
  }),
               DatabaseError);
  EXPECT_EQ(db_->write_count(), before + 3);
}

// On SQLite a Read is one snapshot: a write committed meanwhile is not seen until the next Read
// (a page and its total agree). PostgreSQL reads statement by statement, and sees it at once.
TEST_P(DatabaseTest, AReadSeesOneSnapshotOnSqlite) {
  auto count = [](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key LIKE 'snap%'");
  };
  std::int64_t first = -1, second = -1;
  db_->Read([&](Connection& c) {
    first = count(c);
    std::thread writer([&] {
      MustWrite(*db_, [](Connection& w) -> Status {
        w.Exec("INSERT INTO kelu_settings (key, value) VALUES ('snap1', '1')");
        return OkStatus();
      });
    });
    writer.join();
    second = count(c);
  });
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, GetParam() == "sqlite" ? 0 : 1);
  EXPECT_EQ(db_->Read(count), 1) << "the next read sees the write";
  // A read that throws ends its transaction too: the connection reads fresh data afterwards.
  EXPECT_THROW(db_->Read([](Connection& c) { c.Query("SELECT no_such_column FROM kelu_settings"); }),
               DatabaseError);
  MustWrite(*db_, [](Connection& w) -> Status {
    w.Exec("INSERT INTO kelu_settings (key, value) VALUES ('snap2', '1')");
    return OkStatus();
  });
  for (int i = 0; i < 4; ++i) EXPECT_EQ(db_->Read(count), 2);
}

TEST_P(DatabaseTest, UniqueViolationIsReported) {
  try {
    (void)db_->Write([](Connection& c) -> Status {
      c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('u', '1')");
      c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('u', '2')");
      return OkStatus();
    });
    FAIL() << "expected a unique violation";
  } catch (const DatabaseError& e) {
    EXPECT_TRUE(e.unique_violation());
  }
}

TEST_P(DatabaseTest, QueuedWritesAreSeenByTheNextStatementAndCommitted) {
  // More than PostgreSQL keeps before sending on its own, with NULLs and text.
  MustWrite(*db_, [](Connection& c) -> Status {
    for (int i = 0; i < 300; ++i) {
      c.Queue("INSERT INTO kelu_settings (key, value) VALUES (?, ?)",
              {V("q" + std::to_string(i)), V(i % 2 ? "客录" : "x")});
    }
    EXPECT_EQ(c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key LIKE 'q%'"), 300);
    c.Queue("UPDATE kelu_settings SET value = ? WHERE key = ?", {V("改"), V("q7")});
    c.Queue("DELETE FROM kelu_settings WHERE key = ?", {V("q0")});
    // Several answers at once, in order, each seeing the writes kept before them.
    auto answers = c.QueryAll({{"SELECT value FROM kelu_settings WHERE key = ?", {V("q7")}},
                               {"SELECT count(*) FROM kelu_settings WHERE key LIKE 'q%'", {}},
                               {"SELECT key FROM kelu_settings WHERE key = 'none'", {}}});
    EXPECT_EQ(answers.size(), 3u);
    if (answers.size() == 3) {
      EXPECT_EQ(answers[0].rows.at(0).text(0), "改");
      EXPECT_EQ(answers[1].rows.at(0).integer(0), 299);
      EXPECT_TRUE(answers[2].rows.empty());
    }
    c.Queue("UPDATE kelu_settings SET value = ? WHERE key = ?", {V("再改"), V("q8")});
    return OkStatus();
  });
  db_->Read([](Connection& c) {
    EXPECT_EQ(c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key LIKE 'q%'"), 299);
    EXPECT_EQ(c.QueryOne("SELECT value FROM kelu_settings WHERE key = 'q8'")->text(0), "再改")
        << "kept until the commit, then sent with it";
    EXPECT_EQ(c.QueryOne("SELECT value FROM kelu_settings WHERE key = 'q9'")->text(0), "客录");
  });
}

TEST_P(DatabaseTest, AFailingQueuedWriteFailsItsTransactionAndTheConnectionWorksOn) {
  // The duplicate fails; the statement after it, prepared in the same go, is skipped by the
  // server and must be prepared afresh when next used.
  const char* fresh = "INSERT INTO kelu_settings (value, key) VALUES (?, ?)";
  try {
    (void)db_->Write([&](Connection& c) -> Status {
      c.Queue("INSERT INTO kelu_settings (key, value) VALUES (?, ?)", {V("f1"), V("1")});
      c.Queue("INSERT INTO kelu_settings (key, value) VALUES (?, ?)", {V("f1"), V("2")});
      c.Queue(fresh, {V("3"), V("f2")});
      // Sent with this query, which answers the failure instead of a count.
      c.QueryInt("SELECT count(*) FROM kelu_settings");
      ADD_FAILURE() << "the query after a failed write answered";
      return OkStatus();
    });
    FAIL() << "expected the duplicate to fail the transaction";
  } catch (const DatabaseError& e) {
    EXPECT_TRUE(e.unique_violation()) << e.what();
  }
  MustWrite(*db_, [&](Connection& c) -> Status {
    c.Queue(fresh, {V("4"), V("f3")});
    c.Exec(fresh, {V("5"), V("f4")});
    return OkStatus();
  });
  db_->Read([](Connection& c) {
    EXPECT_EQ(c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key IN ('f1', 'f2')"), 0);
    EXPECT_EQ(c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key IN ('f3', 'f4')"), 2);
  });
}

TEST_P(DatabaseTest, QueuedWritesOfARolledBackTransactionAreGone) {
  Status s = db_->Write([](Connection& c) -> Status {
    c.Queue("INSERT INTO kelu_settings (key, value) VALUES ('r1', '1')");
    return Error::Conflict("nope", "rolled back");
  });
  EXPECT_FALSE(s.ok());
  // Nothing kept leaks into the next transaction on the same connection; a savepoint rolls
  // back what was queued after it and keeps what came before.
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Queue("INSERT INTO kelu_settings (key, value) VALUES ('r2', '1')");
    c.Queue("SAVEPOINT row");
    c.Queue("INSERT INTO kelu_settings (key, value) VALUES ('r3', '1')");
    c.Exec("ROLLBACK TO SAVEPOINT row");
    c.Queue("RELEASE SAVEPOINT row");
    return OkStatus();
  });
  // A call that fails after queueing leaves nothing behind for the next call on its connection.
  EXPECT_THROW(db_->Read([](Connection& c) {
    c.Queue("INSERT INTO kelu_settings (key, value) VALUES ('r4', '1')");
    throw std::runtime_error("failed before sending");
  }),
               std::runtime_error);
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('r5', '1')");
    return OkStatus();
  });
  auto keys = db_->Read([](Connection& c) {
    std::string out;
    for (const auto& r :
         c.Query("SELECT key FROM kelu_settings WHERE key LIKE 'r%' ORDER BY key").rows) {
      out += r.text(0) + " ";
    }
    return out;
  });
  EXPECT_EQ(keys, "r2 r5 ");
}

TEST_P(DatabaseTest, ValuesRoundTrip) {
  auto row = db_->Read([](Connection& c) {
    return *c.QueryOne("SELECT ?, ?, ?, ?",
                       {V(std::int64_t{9007199254740993}), V("客录"), V(Null{}), V(true)});
  });
  EXPECT_EQ(row.integer(0), 9007199254740993);
  EXPECT_EQ(row.text(1), "客录");
  EXPECT_TRUE(row.is_null(2));
  EXPECT_EQ(row.integer(3), 1);
}

TEST_P(DatabaseTest, EveryUpdateOfACustomerMovesItsRowVersionOnce) {
  using Versions = std::pair<std::int64_t, std::int64_t>;  // of customers 5 and 6
  SeedCustomers({{5, "a"}, {6, "b"}});
  auto versions = [&] {
    return db_->Read([](Connection& c) {
      return Versions(c.QueryInt("SELECT row_version FROM customers WHERE customer_id = 5"),
                      c.QueryInt("SELECT row_version FROM customers WHERE customer_id = 6"));
    });
  };
  EXPECT_EQ(versions(), Versions(0, 0));
  // A statement that does not mention the version (the trigger moves it), one column only.
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Exec("UPDATE customers SET notes = 'x' WHERE tenant_id = 1 AND customer_id = 5");
    return OkStatus();
  });
  EXPECT_EQ(versions(), Versions(1, 0));
  // One that bumps it itself: moved once, not twice.
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Exec("UPDATE customers SET notes = 'y', row_version = row_version + 1 WHERE tenant_id = 1");
    return OkStatus();
  });
  EXPECT_EQ(versions(), Versions(2, 1));
  // Even an update that writes the same value again counts as a change.
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Exec("UPDATE customers SET notes = notes WHERE tenant_id = 1 AND customer_id = 6");
    return OkStatus();
  });
  EXPECT_EQ(versions(), Versions(2, 2));
  // A rolled-back update leaves it where it was.
  Status s = db_->Write([](Connection& c) -> Status {
    c.Exec("UPDATE customers SET notes = 'z' WHERE tenant_id = 1");
    return Error::Make(ErrorKind::kConflict, "undo", "undo");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(versions(), Versions(2, 2));
}

// SQLite's search indexes are FTS5 tables filled by the program and emptied by a trigger on
// search_docs. A document deleted and another written in its place (SQLite gives the new row
// the freed rowid) must not inherit the deleted one's entries.
TEST_P(DatabaseTest, ADeletedSearchDocumentLeavesNoEntryForItsSuccessor) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "the bigram table cascades on PostgreSQL";
  auto add = [&](std::int64_t doc, const std::string& text, const std::string& grams) {
    MustWrite(*db_, [&](Connection& c) -> Status {
      c.Exec(
          "INSERT INTO search_docs (tenant_id, doc_id, entity, entity_id, customer_id, name, "
          "text, grams) VALUES (1, ?, 'customer', 5, 5, ?, ?, ?)",
          {V(doc), V(text), V(text), V(grams)});
      for (const char* index :
           {"search_fts (rowid, tenant, text) SELECT doc_rowid, tenant, text FROM "
            "search_fts_source",
            "search_grams (rowid, grams) SELECT rowid, grams FROM search_docs"}) {
        c.Exec(std::string("INSERT INTO ") + index + " WHERE tenant_id = 1 AND doc_id = ?",
               {V(doc)});
      }
      return OkStatus();
    });
  };
  auto found = [&](const char* index, const std::string& query) {
    return db_->Read([&](Connection& c) {
      return c.QueryInt(
          std::string("SELECT count(*) FROM ") + index + " WHERE " + index + " MATCH ?",
          {V(query)});
    });
  };
  SeedCustomers({{5, "a"}});
  add(10, "翠湖电子", "t1.翠湖 t1.湖电 t1.电子");
  add(11, "银河科技", "t1.银河 t1.河科 t1.科技");
  EXPECT_EQ(found("search_grams", "\"t1.科技\""), 1);
  MustWrite(*db_, [](Connection& c) -> Status {
    c.Exec("DELETE FROM search_docs WHERE tenant_id = 1 AND doc_id = 11");
    return OkStatus();
  });
  add(12, "翠湖商贸", "t1.翠湖 t1.湖商 t1.商贸");
  EXPECT_EQ(found("search_grams", "\"t1.科技\""), 0);
  EXPECT_EQ(found("search_fts", "text : \"银河科\""), 0);
  EXPECT_EQ(found("search_fts", "text : \"翠湖商\""), 1);
  EXPECT_EQ(found("search_grams", "\"t1.翠湖\""), 2);
  EXPECT_EQ(found("search_grams", "\"t1.商贸\""), 1);
  // Another tenant's token for the same pair is another term.
  EXPECT_EQ(found("search_grams", "\"t2.翠湖\""), 0);
}

// A query planned on every call answers as Query does, and (PostgreSQL) leaves no prepared
// statement behind whose generic plan a later call could be given.
TEST_P(DatabaseTest, AQueryPlannedEachCallAnswersLikeQueryAndKeepsNoStatement) {
  SeedCustomers({{5, "翠湖"}, {6, "银河"}});
  const std::string sql =
      "SELECT customer_id, name FROM customers WHERE tenant_id = ? AND name LIKE ? "
      "ORDER BY customer_id";
  db_->Read([&](Connection& c) {
    auto planned = c.QueryPlannedEachCall(sql, {V(1), V("%河%")});
    ASSERT_EQ(planned.rows.size(), 1u);
    EXPECT_EQ(planned.rows[0].integer(0), 6);
    EXPECT_EQ(planned.rows[0].text(1), "银河");
    auto prepared = c.Query(sql, {V(1), V("%河%")});
    ASSERT_EQ(prepared.rows.size(), 1u);
    EXPECT_EQ(prepared.rows[0].integer(0), 6);
    if (c.dialect() != storage::Dialect::kPostgres) return;
    const char* count = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE ?";
    const std::string pattern = "%name LIKE%";
    std::int64_t kept = c.QueryInt(count, {V(pattern)});
    EXPECT_EQ(kept, 1) << "Query prepares its statement";
    c.QueryPlannedEachCall(sql + " LIMIT 5", {V(1), V("%湖%")});
    EXPECT_EQ(c.QueryInt(count, {V(pattern)}), kept) << "the planned-each-call one does not";
  });
}

// Numbers 1 … n, one generated row at a time: a statement whose length n sets (n = 10⁹ runs
// for minutes on either database).
std::string Counting(std::int64_t n) {
  return "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(n) + ") SELECT count(*) FROM n";
}

TEST_P(DatabaseTest, AStatementPastTheTimeoutIsStoppedAndItsTransactionRolledBack) {
  StatementTimeout bound(100);
  EXPECT_THROW(db_->Read([](Connection& c) { return c.QueryInt(Counting(1'000'000'000)); }),
               StatementTimedOut);
  EXPECT_THROW(
      db_->Read([](Connection& c) { return c.QueryPlannedEachCall(Counting(1'000'000'000), {}); }),
      StatementTimedOut);
  // A write whose second statement runs too long: the first is undone with it.
  EXPECT_THROW(db_->Write([](Connection& c) -> Status {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('before', '1')");
    c.Exec(
        "INSERT INTO kelu_settings (key, value) SELECT 'n' || i, '' FROM (WITH RECURSIVE n (i) "
        "AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT i FROM n) x");
    return OkStatus();
  }),
               StatementTimedOut);
  // The connections serve the next calls, under the same bound.
  EXPECT_EQ(db_->Read([](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key = 'before' OR key LIKE 'n%'");
  }),
            0);
  MustWrite(*db_, [](Connection& c) {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('after', '1')");
    return OkStatus();
  });
  EXPECT_EQ(db_->Read([](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key = 'after'");
  }),
            1);
}

TEST_P(DatabaseTest, StatementTimeoutsNestAndNoneIsLeftOnTheConnections) {
  const std::string counting = Counting(300'000);  // far longer than a millisecond
  auto count = [&](Connection& c) { return c.QueryInt(counting); };
  EXPECT_EQ(StatementTimeout::Current(), 0);
  {
    StatementTimeout tight(1);
    EXPECT_EQ(StatementTimeout::Current(), 1);
    {
      StatementTimeout none(0);  // what a job inside a request opens
      EXPECT_EQ(StatementTimeout::Current(), 0);
      EXPECT_EQ(db_->Read(count), 300'000);
    }
    EXPECT_EQ(StatementTimeout::Current(), 1);
    EXPECT_THROW(db_->Read(count), StatementTimedOut);
    EXPECT_THROW(db_->Write([&](Connection& c) {
      c.QueryInt(counting);
      return OkStatus();
    }),
                 StatementTimedOut);
  }
  EXPECT_EQ(StatementTimeout::Current(), 0);
  EXPECT_EQ(db_->Read(count), 300'000);
  MustWrite(*db_, [&](Connection& c) {
    EXPECT_EQ(c.QueryInt(counting), 300'000);
    return OkStatus();
  });
  if (GetParam() != "postgres") return;
  // The bound set on the server's sessions went with the scope.
  db_->Read([](Connection& c) { EXPECT_EQ(c.QueryOne("SHOW statement_timeout")->text(0), "0"); });
}

TEST_P(DatabaseTest, IdsIncreaseAcrossThreads) {
  std::vector<std::int64_t> ids[4];
  std::vector<std::thread> threads;
  for (auto& out : ids) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        MustWrite(*db_, [&](Connection& c) {
          out.push_back(c.NextId());
          return OkStatus();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> all;
  for (auto& v : ids) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 200u);
}

// An id handed out in a transaction or savepoint that rolls back is not handed out again
// alongside ids from a later reservation (SQLite reserves ids in blocks).
TEST_P(DatabaseTest, IdsStayUniqueAcrossRollbacks) {
  std::vector<std::int64_t> ids;
  for (int round = 0; round < 100; ++round) {
    (void)db_->Write([&](Connection& c) -> Status {
      if (round % 2 == 0) c.ReserveIds(4);  // some rounds take ids from a reservation
      ids.push_back(c.NextId());
      c.Exec("SAVEPOINT inner_work");
      ids.push_back(c.NextId());
      c.Exec("ROLLBACK TO SAVEPOINT inner_work");
      c.Exec("RELEASE SAVEPOINT inner_work");
      ids.push_back(c.NextId());
      c.Exec("INSERT INTO kelu_settings (key, value) VALUES (?, '1')",
             {V("id-" + std::to_string(ids.back()))});
      if (round % 3 == 0) return Error::Conflict("again", "rolled back");
      return OkStatus();
    });
  }
  // Ids of rolled-back work may be handed out again; the committed rows' ids are unique (the
  // key would refuse a repeat) and nothing after them gets one of them.
  auto committed = db_->Read(
      [](Connection& c) { return c.Query("SELECT key FROM kelu_settings WHERE key LIKE 'id-%'"); });
  std::set<std::string> keys;
  for (const auto& r : committed.rows) EXPECT_TRUE(keys.insert(r.text(0)).second);
  EXPECT_EQ(keys.size(), 66u);
  std::int64_t last_committed = 0;
  for (const auto& k : keys)
    last_committed = std::max<std::int64_t>(last_committed, std::stoll(k.substr(3)));
  auto after = db_->Write([](Connection& c) -> Result<std::int64_t> { return c.NextId(); });
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after.value(), last_committed);
  // Within a transaction, reserved ids come out unique and increasing.
  auto reserved = db_->Write([](Connection& c) -> Result<std::vector<std::int64_t>> {
    c.ReserveIds(50);
    std::vector<std::int64_t> out(60);
    for (auto& id : out) id = c.NextId();
    return out;
  });
  ASSERT_TRUE(reserved.ok());
  EXPECT_TRUE(std::is_sorted(reserved->begin(), reserved->end()));
  EXPECT_EQ(std::set<std::int64_t>(reserved->begin(), reserved->end()).size(), 60u);
  EXPECT_GT(reserved->front(), after.value());
}

INSTANTIATE_TEST_SUITE_P(Drivers, DatabaseTest, ::testing::Values("sqlite", "postgres"));

TEST(Sqlite, WriteRetriesWhileAnotherProcessHoldsTheLock) {
  auto dir = std::filesystem::temp_directory_path() / ("kelu-busy-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string url = "sqlite:" + (dir / "t.db").string();
  // busy_timeout 0: SQLite reports "busy" at once, so only the retry policy can wait.
  auto db = Database::Open(url, 2, 0);
  ManualClock clock(FromMicros(1'800'000'000'000'000));
  ASSERT_TRUE(Migrate(*db, clock.now()).ok());
  auto other = Database::Open(url, 2, 0);  // another process, as far as locking goes
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    MustWrite(*other, [&](Connection& c) {
      c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('holder', '1')");
      holding = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      return OkStatus();
    });
  });
  while (!holding) std::this_thread::yield();
  Status s = db->Write([](Connection& c) {
    c.Exec("INSERT INTO kelu_settings (key, value) VALUES ('waiter', '1')");
    return OkStatus();
  });
  holder.join();
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(db->Read([](Connection& c) {
    return c.QueryInt("SELECT count(*) FROM kelu_settings WHERE key IN ('holder', 'waiter')");
  }),
            2);
  // With no retries left, the busy error comes out instead of waiting forever.
  db->set_retry_policy(RetryPolicy{1, 1, 1});
  std::atomic<bool> again{false};
  std::thread second([&] {
    MustWrite(*other, [&](Connection&) {
      again = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      return OkStatus();
    });
  });
  while (!again) std::this_thread::yield();
  EXPECT_THROW((void)db->Write([](Connection&) { return OkStatus(); }), RetryableConflict);
  second.join();
  db.reset();
  other.reset();
  std::filesystem::remove_all(dir);
}

// A SQLite database of its own in a fresh folder, opened with the given checkpoint limit,
// holding one table `t (id, body)`; removed afterwards.
struct ScratchSqlite {
  ScratchSqlite(const std::string& name, int checkpoint_pages)
      : dir(std::filesystem::temp_directory_path() /
            ("kelu-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = OpenSqlite((dir / "t.db").string(), 2, 1000, checkpoint_pages);
    MustWrite(*db, [](Connection& c) {
      c.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
      return OkStatus();
    });
  }
  ~ScratchSqlite() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  ScratchSqlite(const ScratchSqlite&) = delete;
  ScratchSqlite& operator=(const ScratchSqlite&) = delete;

  // One transaction writing row `id` with 100 kB (25 pages) of random bytes.
  void Put(int id) {
    MustWrite(*db, [&](Connection& c) {
      c.Exec("INSERT INTO t (id, body) VALUES (?, randomblob(100000))", {V(id)});
      return OkStatus();
    });
  }
  std::int64_t Rows() {
    return db->Read([](Connection& c) { return c.QueryInt("SELECT count(*) FROM t"); });
  }

  std::filesystem::path dir;
  std::unique_ptr<Database> db;
};

// Checkpoints run on the database's own thread. A writer that never pauses still keeps the
// WAL bounded (it waits for the copying when far behind), which also shows the WAL is copied
// and restarted: SQLite's automatic checkpoint is off, and 40 MB go through a 256 KB limit.
TEST(Sqlite, CheckpointsKeepTheWalBoundedUnderAWriterThatNeverPauses) {
  constexpr int kPages = 64;
  ScratchSqlite s("wal", kPages);
  constexpr int kWrites = 400;
  std::uintmax_t largest = 0;
  for (int i = 0; i < kWrites; ++i) {
    s.Put(i);
    largest = std::max(largest, std::filesystem::file_size(s.dir / "t.db-wal"));
  }
  EXPECT_EQ(s.Rows(), kWrites);
  // The WAL waits for the copying at four times its limit; one write (25 pages) and the
  // frames' headers come on top. Without checkpoints it would hold all 40 MB.
  EXPECT_LT(largest, std::uintmax_t{6 * kPages * 4120});
  EXPECT_GT(std::filesystem::file_size(s.dir / "t.db"), std::uintmax_t{kWrites} * 90000);
}

// A reader that keeps an old snapshot stops the WAL from being copied past it; writes go on
// (the writer does not wait for a copy that cannot finish) and the reader's view stays whole.
TEST(Sqlite, AReaderHoldingASnapshotDoesNotStallTheWriter) {
  ScratchSqlite s("snapshot", 64);
  s.Put(0);
  std::atomic<bool> reading{false}, written{false};
  std::int64_t seen_before = -1, seen_after = -1;
  std::thread reader([&] {
    s.db->Read([&](Connection& c) {
      seen_before = c.QueryInt("SELECT count(*) FROM t");
      reading = true;
      while (!written) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      seen_after = c.QueryInt("SELECT count(*) FROM t");
    });
  });
  while (!reading) std::this_thread::yield();
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 100; ++i) s.Put(i);
  auto took = std::chrono::steady_clock::now() - start;
  written = true;
  reader.join();
  EXPECT_EQ(seen_before, 1);
  EXPECT_EQ(seen_after, 1);
  EXPECT_EQ(s.Rows(), 101);
  // Waiting out the catch-up limit on even one write would take 5 s.
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(Postgres, NumbersPlaceholdersOutsideQuotes) {
  EXPECT_EQ(NumberPlaceholders("SELECT ?, '?', \"a?\" WHERE x = ?"),
            "SELECT $1, '?', \"a?\" WHERE x = $2");
}

TEST(Postgres, UnreachableServerIsUnavailable) {
  EXPECT_THROW(Database::Open("postgresql://127.0.0.1:1/none", 1, 100), DatabaseUnavailable);
}

}  // namespace
}  // namespace kelu::storage
