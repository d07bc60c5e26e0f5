#include "jobs/worker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

namespace kelu::jobs {
namespace {

TEST(Worker, RunsTasksInOrderAndSurvivesAFailingOne) {
  Worker w;
  std::vector<int> order;
  w.Post([&](const std::atomic<bool>&) { order.push_back(1); });
  w.Post([&](const std::atomic<bool>&) { throw std::runtime_error("boom"); });
  w.Post([&](const std::atomic<bool>&) { order.push_back(3); });
  w.WaitIdle();
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

TEST(Worker, StopInterruptsTheRunningTaskAndDropsTheQueue) {
  Worker w;
  std::atomic<bool> started{false}, saw_stop{false}, second_ran{false};
  w.Post([&](const std::atomic<bool>& stopping) {
    started = true;
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    saw_stop = true;
  });
  w.Post([&](const std::atomic<bool>&) { second_ran = true; });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  w.Stop();
  EXPECT_TRUE(saw_stop);
  EXPECT_FALSE(second_ran);
  w.Post([&](const std::atomic<bool>&) { second_ran = true; });  // ignored after Stop
  w.Stop();
  EXPECT_FALSE(second_ran);
}

}  // namespace
}  // namespace kelu::jobs
