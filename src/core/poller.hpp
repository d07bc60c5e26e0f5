// One background thread that calls a function every `period` and when woken, until stopped.
// The delivery queues (email outbox, webhooks) run on one each.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kelu {

class Poller {
 public:
  ~Poller() { Stop(); }
  // `work` runs on the thread; an exception it throws is passed to `on_error` and the loop goes
  // on.
  void Start(std::function<void()> work, std::chrono::milliseconds period,
             std::function<void(const std::exception&)> on_error);
  void Wake();
  void Stop();

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
};

}  // namespace kelu
