#include "core/poller.hpp"

namespace kelu {

void Poller::Start(std::function<void()> work, std::chrono::milliseconds period,
                   std::function<void(const std::exception&)> on_error) {
  thread_ = std::thread([this, work = std::move(work), period, on_error = std::move(on_error)] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      try {
        work();
      } catch (const std::exception& e) {
        on_error(e);
      }
      lock.lock();
      wake_.wait_for(lock, period, [this] { return stop_ || woken_; });
      woken_ = false;
    }
  });
}

void Poller::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void Poller::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kelu
