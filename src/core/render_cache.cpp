#include "core/render_cache.hpp"

namespace kelu {

namespace {

struct Key {
  std::int64_t tenant;
  std::int64_t id;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const {
    // Ids grow by one, tenants rarely differ: mix both so shards and buckets fill evenly.
    std::uint64_t x = static_cast<std::uint64_t>(k.id) * 0x9E3779B97F4A7C15ULL ^
                      static_cast<std::uint64_t>(k.tenant) * 0xC2B2AE3D27D4EB4FULL;
    return static_cast<std::size_t>(x ^ (x >> 29));
  }
};

struct Entry {
  Key key;
  std::int64_t version;
  std::string text;
};

}  // namespace

struct RenderCache::Shard {
  std::mutex mu;
  std::list<Entry> order;  // most recently used first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index;
  std::size_t bytes = 0;
};

RenderCache::RenderCache(std::size_t max_bytes)
    : shard_budget_(max_bytes / kShards), shards_(new Shard[kShards]) {}

RenderCache::~RenderCache() = default;

RenderCache::Shard& RenderCache::ShardOf(std::int64_t tenant, std::int64_t id) {
  return shards_[(KeyHash{}(Key{tenant, id}) >> 7) % kShards];
}

bool RenderCache::AppendTo(std::int64_t tenant, std::int64_t id, std::int64_t version,
                           std::string& out) {
  Shard& s = ShardOf(tenant, id);
  {
    std::lock_guard lock(s.mu);
    auto it = s.index.find(Key{tenant, id});
    if (it != s.index.end() && it->second->version == version) {
      s.order.splice(s.order.begin(), s.order, it->second);
      out.append(it->second->text);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void RenderCache::Put(std::int64_t tenant, std::int64_t id, std::int64_t version,
                      std::string_view text) {
  std::size_t cost = text.size() + kEntryOverhead;
  if (cost > shard_budget_) return;
  Shard& s = ShardOf(tenant, id);
  std::lock_guard lock(s.mu);
  Key key{tenant, id};
  auto it = s.index.find(key);
  if (it != s.index.end()) {
    // Versions only grow: a reader that read the row before another one rendered it anew
    // must not put the older text back.
    if (it->second->version > version) return;
    s.bytes -= it->second->text.size() + kEntryOverhead;
    s.order.erase(it->second);
    s.index.erase(it);
  }
  while (s.bytes + cost > shard_budget_) {
    const Entry& last = s.order.back();
    s.bytes -= last.text.size() + kEntryOverhead;
    s.index.erase(last.key);
    s.order.pop_back();
  }
  s.order.push_front(Entry{key, version, std::string(text)});
  s.index.emplace(key, s.order.begin());
  s.bytes += cost;
}

RenderCache::Stats RenderCache::stats() const {
  Stats out;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    out.entries += shards_[i].index.size();
    out.bytes += shards_[i].bytes;
  }
  return out;
}

}  // namespace kelu
