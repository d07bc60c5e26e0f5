// A background thread for long work started by a request (imports): tasks run one at a time,
// in the order posted. Stop() tells the running task to stop (its `stopping` flag turns true)
// and drops the queued ones, so tasks must leave resumable state behind; the owner re-posts
// unfinished work on the next start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace kelu::jobs {

class Worker {
 public:
  using Task = std::function<void(const std::atomic<bool>& stopping)>;

  Worker();
  ~Worker();  // Stop()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Ignored once stopping.
  void Post(Task task);
  // Waits until the queue is empty and no task runs.
  void WaitIdle();
  // Asks the running task to stop, drops the queue, and joins the thread. Idempotent.
  void Stop();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Task> queue_;
  bool busy_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kelu::jobs
