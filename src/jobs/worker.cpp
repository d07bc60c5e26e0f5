#include "jobs/worker.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace kelu::jobs {

Worker::Worker() : thread_([this] { Run(); }) {}

Worker::~Worker() { Stop(); }

void Worker::Post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void Worker::WaitIdle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || stopping_; });
}

void Worker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  idle_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Worker::Run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    try {
      task(stopping_);
    } catch (const std::exception& e) {
      // A task failing must not take the thread (and every later task) with it.
      spdlog::error("background task failed: {}", e.what());
    }
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace kelu::jobs
