// Two brakes on password guessing, in memory, per process; thread-safe, time passed in.
// AttemptLimiter slows a spray across accounts from one address; LoginDelays slows guessing at
// one account from many addresses, without the hard lock that anyone could use to keep its
// owner out.
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

// Progressive delays per account (a tenant's login, or an operator's email, whether or not it
// exists, so the answer never tells which): the first `free_failures` wrong passwords cost
// nothing; each after it makes the next attempt wait twice as long as the last, from `base` up
// to `longest`. A success or an administrator's reset forgets the account.
class LoginDelays {
 public:
  LoginDelays(int free_failures, std::chrono::seconds base, std::chrono::seconds longest)
      : free_(free_failures), base_(base), longest_(longest) {}

  // 0 when an attempt at `key` may be made at `now`, else the seconds until one may.
  std::int64_t Wait(const std::string& key, Timestamp now);
  void Failed(const std::string& key, Timestamp now);
  // Wait and Failed at once: the attempt counts as a failure before it is checked (Forget when
  // it succeeds), so parallel guesses cannot all slip through one free moment.
  std::int64_t Begin(const std::string& key, Timestamp now);
  void Forget(const std::string& key);

 private:
  // mutex_ held:
  std::int64_t WaitLocked(const std::string& key, Timestamp now) const;
  void CountFailure(const std::string& key, Timestamp now);
  struct Entry {
    int failures = 0;
    Timestamp next{};  // no attempt before this
    Timestamp last{};
  };
  int free_;
  std::chrono::seconds base_;
  std::chrono::seconds longest_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace kelu::identity
