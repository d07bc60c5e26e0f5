#include "identity/throttle.hpp"

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

}  // namespace kelu::identity
