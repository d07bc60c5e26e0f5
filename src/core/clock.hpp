// The one source of time. Production uses SystemClock; tests and `serve --test-clock` use
// ManualClock, which only moves when told to. Nothing else in the program reads the wall clock.
#pragma once

#include <atomic>

#include "core/time.hpp"

namespace kelu {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// A clock set by hand. Thread-safe; set() may move it in either direction, callers that
// need forward-only semantics (the operator's test clock) check before setting.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : micros_(ToMicros(start)) {}
  Timestamp now() const override { return FromMicros(micros_.load()); }
  void set(Timestamp t) { micros_.store(ToMicros(t)); }

 private:
  std::atomic<std::int64_t> micros_;
};

}  // namespace kelu
