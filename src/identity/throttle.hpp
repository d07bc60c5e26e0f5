// A sliding-window limiter of login attempts per client address. In memory, per process:
// account lockout (in the database) is the durable defence, this one slows a spray across
// accounts from one address. Thread-safe; time is passed in.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/time.hpp"

namespace kelu::identity {

class AttemptLimiter {
 public:
  AttemptLimiter(int max_attempts, std::chrono::seconds window)
      : max_(max_attempts), window_(window) {}

  // Records an attempt from `key` at `now`. Returns 0 when allowed, else the seconds to
  // wait before the next attempt will be.
  std::int64_t Attempt(const std::string& key, Timestamp now);

 private:
  int max_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Timestamp>> attempts_;
  std::size_t calls_ = 0;
};

}  // namespace kelu::identity
