#include "core/render_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace kelu {
namespace {

std::string Get(RenderCache& c, std::int64_t tenant, std::int64_t id, std::int64_t version) {
  std::string out = "<";
  return c.AppendTo(tenant, id, version, out) ? out : "miss";
}

TEST(RenderCache, GivesTheTextOnlyForTheVersionItWasRenderedAt) {
  RenderCache c(1 << 20);
  c.Put(1, 10, 3, "ten at 3");
  EXPECT_EQ(Get(c, 1, 10, 3), "<ten at 3");  // appended to what `out` held
  EXPECT_EQ(Get(c, 1, 10, 4), "miss");       // the row changed since
  EXPECT_EQ(Get(c, 1, 10, 2), "miss");
  EXPECT_EQ(Get(c, 2, 10, 3), "miss");  // another tenant's key
  EXPECT_EQ(Get(c, 1, 11, 3), "miss");
  c.Put(1, 10, 4, "ten at 4");
  EXPECT_EQ(Get(c, 1, 10, 4), "<ten at 4");
  EXPECT_EQ(Get(c, 1, 10, 3), "miss");
  auto st = c.stats();
  EXPECT_EQ(st.hits, 2u);
  EXPECT_EQ(st.misses, 5u);
  EXPECT_EQ(st.entries, 1u);
  EXPECT_EQ(st.bytes, std::string("ten at 4").size() + RenderCache::kEntryOverhead);
}

TEST(RenderCache, AnOlderVersionNeverReplacesANewerOne) {
  RenderCache c(1 << 20);
  c.Put(1, 10, 5, "new");
  c.Put(1, 10, 4, "old");  // a reader that read the row before it changed, putting late
  EXPECT_EQ(Get(c, 1, 10, 5), "<new");
  EXPECT_EQ(Get(c, 1, 10, 4), "miss");
}

TEST(RenderCache, StaysWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  // 16 shards of 1 000 bytes: each holds at most 5 entries of 100 bytes of text.
  constexpr std::size_t kShards = 16, kShardBudget = 1000;
  RenderCache c(kShards * kShardBudget);
  std::string text(100, 'x');
  for (int id = 0; id < 2000; ++id) {
    c.Put(7, id, 1, text);
    // Keep id 0 in use: it must survive everything put after it.
    EXPECT_EQ(Get(c, 7, 0, 1), "<" + text) << "after putting id " << id;
  }
  auto st = c.stats();
  EXPECT_LE(st.bytes, kShards * kShardBudget);
  EXPECT_LE(st.entries, kShards * (kShardBudget / (100 + RenderCache::kEntryOverhead)));
  EXPECT_GE(st.entries, kShards);  // and it does keep things
  // The first ids, unused since, are gone; the last one put is there.
  int early_kept = 0;
  for (int id = 1; id < 100; ++id) early_kept += Get(c, 7, id, 1) != "miss";
  EXPECT_EQ(early_kept, 0);
  EXPECT_EQ(Get(c, 7, 1999, 1), "<" + text);
}

TEST(RenderCache, KeepsNothingWithNoBudgetOrForATextLargerThanAShard) {
  RenderCache none(0);
  none.Put(1, 1, 1, "x");
  EXPECT_EQ(Get(none, 1, 1, 1), "miss");
  RenderCache small(16 * 200);
  small.Put(1, 1, 1, std::string(500, 'y'));
  EXPECT_EQ(Get(small, 1, 1, 1), "miss");
  EXPECT_EQ(small.stats().entries, 0u);
}

TEST(RenderCache, ThreadsPuttingAndReadingTheSameKeysSeeOnlyWholeTexts) {
  RenderCache c(1 << 16);  // small, so entries are also evicted while the threads run
  auto text_of = [](int id, int version) {
    return std::to_string(id) + ":" + std::to_string(version) + std::string(40, 'z');
  };
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        int id = (i * 7 + t) % 500, version = i % 3;
        std::string out;
        if (c.AppendTo(1, id, version, out)) {
          if (out != text_of(id, version)) ++wrong;
        } else {
          c.Put(1, id, version, text_of(id, version));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(c.stats().bytes, std::size_t{1} << 16);
}

}  // namespace
}  // namespace kelu
