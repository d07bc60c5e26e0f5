#include "identity/throttle.hpp"

#include <algorithm>

namespace kelu::identity {

std::int64_t AttemptLimiter::Attempt(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto cutoff = now - window_;
  if (++calls_ % 1024 == 0) {
    // Forget addresses that have gone quiet so the map does not grow without bound.
    for (auto it = attempts_.begin(); it != attempts_.end();) {
      if (it->second.empty() || it->second.back() <= cutoff) {
        it = attempts_.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto& q = attempts_[key];
  while (!q.empty() && q.front() <= cutoff) q.pop_front();
  if (static_cast<int>(q.size()) >= max_) {
    auto wait = std::chrono::ceil<std::chrono::seconds>(q.front() + window_ - now).count();
    return wait < 1 ? 1 : wait;
  }
  q.push_back(now);
  return 0;
}

std::int64_t LoginDelays::Wait(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  return WaitLocked(key, now);
}

std::int64_t LoginDelays::WaitLocked(const std::string& key, Timestamp now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.next <= now) return 0;
  return std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(it->second.next - now).count());
}

std::int64_t LoginDelays::Begin(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  if (auto wait = WaitLocked(key, now); wait > 0) return wait;
  CountFailure(key, now);
  return 0;
}

void LoginDelays::Failed(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  CountFailure(key, now);
}

void LoginDelays::CountFailure(const std::string& key, Timestamp now) {
  if (entries_.size() >= 100'000) {
    // Forget accounts quiet for longer than the longest delay: they would start afresh anyway.
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.last + 2 * longest_ < now ? entries_.erase(it) : std::next(it);
    }
  }
  Entry& e = entries_[key];
  // A long quiet spell starts the count again.
  if (e.failures > 0 && e.last + 2 * longest_ < now) e = Entry{};
  ++e.failures;
  e.last = now;
  if (e.failures < free_) return;
  int doublings = std::min(e.failures - free_, 30);
  auto wait = std::min<std::chrono::seconds>(base_ * (std::int64_t{1} << doublings), longest_);
  e.next = now + wait;
}

void LoginDelays::Forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

}  // namespace kelu::identity
