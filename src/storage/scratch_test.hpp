// For tests run once per database: the test's parameter ("sqlite" or "postgres") names the
// kind, and each test gets a migrated database of its own (ScratchDatabase), with a pool of one
// connection; on PostgreSQL it is skipped when KELU_TEST_PG_URL is not set.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/clock.hpp"
#include "storage/scratch_database.hpp"

namespace kelu::storage {

class ScratchDatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<ScratchDatabase>(
        GetParam(), ::testing::UnitTest::GetInstance()->current_test_info()->name(), clock_.now(),
        1);
    if (!scratch_->available()) GTEST_SKIP() << "KELU_TEST_PG_URL not set";
    ASSERT_EQ(scratch_->migration_error(), "");
  }

  ManualClock clock_{FromMicros(1'800'000'000'000'000)};
  std::unique_ptr<ScratchDatabase> scratch_;
};

}  // namespace kelu::storage
