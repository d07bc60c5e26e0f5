// RenderCache: text rendered from a database row (a list item's JSON), kept by the row's key
// (tenant, id) and its version — a number the database moves on every change of the row. A
// lookup names the version it read with the key, so a text is used only while its row is
// unchanged and nothing ever needs invalidating; stale texts simply stop being asked for and
// age out. Ids are unique across a database and never reused, so a key never names another row.
//
// Bounded by bytes; within each shard the least recently used texts go first. Thread-safe:
// keys are spread over shards, each with its own lock, so threads rarely meet.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kelu {

class RenderCache {
 public:
  // `max_bytes` 0 keeps nothing (every lookup misses).
  explicit RenderCache(std::size_t max_bytes);
  RenderCache(const RenderCache&) = delete;
  RenderCache& operator=(const RenderCache&) = delete;
  ~RenderCache();

  // Appends the text kept for (tenant, id) at `version` to `out` and returns true; false when
  // none is kept, or only one of another version.
  bool AppendTo(std::int64_t tenant, std::int64_t id, std::int64_t version, std::string& out);
  // Keeps `text` for (tenant, id) at `version`, replacing what was kept for the key unless
  // that was of a later version. A text larger than a shard's share of the budget is not kept.
  void Put(std::int64_t tenant, std::int64_t id, std::int64_t version, std::string_view text);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t entries = 0;
    std::size_t bytes = 0;  // counted as text plus a fixed overhead per entry
  };
  Stats stats() const;

  // What an entry costs besides its text (node, map slot, key, version), for the budget.
  static constexpr std::size_t kEntryOverhead = 96;

 private:
  struct Shard;
  static constexpr std::size_t kShards = 16;
  Shard& ShardOf(std::int64_t tenant, std::int64_t id);

  std::size_t shard_budget_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace kelu
