// For tests: a migrated database of the test's own — SQLite in a new temporary directory, or a
// new PostgreSQL database on the server KELU_TEST_PG_URL names — removed when it goes.
#pragma once

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/time.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"

namespace kelu::storage {

class ScratchDatabase {
 public:
  // `kind` is "sqlite" or "postgres"; `test_name` tells tests apart (and parallel ctest runs:
  // the process id is added). PostgreSQL without KELU_TEST_PG_URL leaves it unavailable.
  ScratchDatabase(const std::string& kind, const std::string& test_name, Timestamp now,
                  int pool = 4) {
    // A name both a PostgreSQL identifier (63 bytes, folded to lower case) and a file name.
    std::string name;
    for (char ch : test_name.substr(0, 40)) {
      name += std::isalnum(static_cast<unsigned char>(ch))
                  ? static_cast<char>(std::tolower(static_cast<unsigned char>(ch)))
                  : '_';
    }
    if (kind == "postgres") {
      const char* url = std::getenv("KELU_TEST_PG_URL");
      if (!url) return;
      admin_ = Database::Open(url, 1, 1000);
      pg_name_ = "kelu_t_" + name + "_" + std::to_string(::getpid());
      admin_->Read([&](Connection& c) {
        c.ExecScript("DROP DATABASE IF EXISTS " + pg_name_);
        c.ExecScript("CREATE DATABASE " + pg_name_);
      });
      std::string base(url);
      url_ = base.substr(0, base.rfind('/') + 1) + pg_name_;
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("kelu-db-test-" + std::to_string(::getpid()) + "-" + name);
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "t.db").string();
    }
    db_ = Database::Open(url_, pool, 1000);
    auto migrated = Migrate(*db_, now);
    if (!migrated.ok()) migration_error_ = migrated.error().message;
  }
  ~ScratchDatabase() {
    db_.reset();
    if (admin_) {
      admin_->Read([&](Connection& c) { c.ExecScript("DROP DATABASE IF EXISTS " + pg_name_); });
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  bool available() const { return db_ != nullptr; }
  Database& db() { return *db_; }
  const std::string& migration_error() const { return migration_error_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Database> admin_;
  std::string pg_name_;
  std::string url_;
  std::unique_ptr<Database> db_;
  std::string migration_error_;
};

}  // namespace kelu::storage
