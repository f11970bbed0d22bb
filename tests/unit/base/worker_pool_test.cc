#include "base/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pthread.h>

#include "base/scheduler.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A latch the tests release by hand: keeps workers busy without sleeping.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

// Submits `n` tasks that each count themselves in `started` and then block on `gate`; false if one is
// refused.
bool SubmitBlocked(WorkerPool& pool, Gate& gate, std::atomic<int>& started, int n) {
  for (int i = 0; i < n; ++i) {
    if (!pool.TrySubmit([&] {
          ++started;
          gate.Wait();
        }))
      return false;
  }
  return true;
}

bool WaitUntil(const std::function<bool()>& done, milliseconds limit = milliseconds(10000)) {
  const auto give_up = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

TEST(WorkerPoolTest, RunsEveryTaskOnAtMostItsThreads) {
  WorkerPool pool("test", 3, 1000);
  EXPECT_EQ(pool.Threads(), 3u);
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&] {
      const int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::yield();
      --running;
      ++done;
    }));
  }
  ASSERT_TRUE(WaitUntil([&] { return done.load() == 200; }));
  EXPECT_LE(peak.load(), 3);
}

TEST(WorkerPoolTest, RefusesWhenTheQueueIsFullAndAfterShutdown) {
  WorkerPool pool("test", 1, 2);
  Gate gate;
  std::atomic<bool> started{false};
  ASSERT_TRUE(pool.TrySubmit([&] {
    started = true;
    gate.Wait();
  }));
  ASSERT_TRUE(WaitUntil([&] { return started.load(); }));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {}));  // two queued: full
  EXPECT_EQ(pool.Queued(), 2u);
  gate.Open();
  pool.Shutdown();
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

TEST(WorkerPoolTest, ShutdownWaitsForRunningTasksAndDropsQueuedOnes) {
  auto pool = std::make_unique<WorkerPool>("test", 1, 10);
  Gate gate;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> queued_ran{false};
  auto token = std::make_shared<int>(0);  // held by the queued task: freed when it is dropped
  ASSERT_TRUE(pool->TrySubmit([&] {
    started = true;
    gate.Wait();
    finished = true;
  }));
  ASSERT_TRUE(WaitUntil([&] { return started.load(); }));
  ASSERT_TRUE(pool->TrySubmit([&, token] { queued_ran = true; }));
  std::thread opener([&] {
    std::this_thread::sleep_for(milliseconds(50));
    gate.Open();
  });
  pool->Shutdown();  // returns only after the running task finished
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(queued_ran.load());
  EXPECT_EQ(token.use_count(), 1);
  opener.join();
}

TEST(WorkerPoolTest, AThrowingTaskDoesNotKillItsWorker) {
  WorkerPool pool("test", 1, 10);
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.TrySubmit([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.TrySubmit([&] { ran = true; }));
  EXPECT_TRUE(WaitUntil([&] { return ran.load(); }));
}

// Issue 12: the /probe targets share elastic pools. A task waiting while every thread is busy gets a new
// thread (up to the cap), so one owner's slow tasks never queue another's; the added threads end when idle.
TEST(WorkerPoolTest, AnElasticPoolAddsThreadsForWaitingTasksAndRetiresThemWhenIdle) {
  WorkerPool pool("elastic", 1, 100, 4, milliseconds(200));
  EXPECT_EQ(pool.Threads(), 1u);
  Gate gate;
  std::atomic<int> started{0};
  ASSERT_TRUE(SubmitBlocked(pool, gate, started, 3));
  // All three run at once: the pool grew for them.
  ASSERT_TRUE(WaitUntil([&] { return started.load() == 3; }));
  EXPECT_GE(pool.Threads(), 3u);  // a thread not yet waiting counts as busy: one more may start
  // Never past the cap: six blocked tasks run on four threads.
  ASSERT_TRUE(SubmitBlocked(pool, gate, started, 3));
  ASSERT_TRUE(WaitUntil([&] { return started.load() == 4; }));
  EXPECT_EQ(pool.Threads(), 4u);
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return started.load() == 6; }));
  // Idle again: back to the one thread it keeps.
  ASSERT_TRUE(WaitUntil([&] { return pool.Threads() == 1u; }));
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.TrySubmit([&] { ran = true; }));
  ASSERT_TRUE(WaitUntil([&] { return ran.load(); }));
}

// The threads a burst added retire even while a steady trickle of short tasks goes on (e.g. sessions
// polled for reconnection every 200 ms): the trickle goes to the thread idle the shortest time, so the rest
// stay idle. With the tasks handed round-robin, every added thread was woken often and none ever retired.
TEST(WorkerPoolTest, AddedThreadsRetireUnderATrickleOfShortTasks) {
  WorkerPool pool("trickle", 1, 1000, 16, milliseconds(300));
  Gate gate;
  std::atomic<int> started{0};
  ASSERT_TRUE(SubmitBlocked(pool, gate, started, 12));
  ASSERT_TRUE(WaitUntil([&] { return started.load() == 12; }));
  EXPECT_GE(pool.Threads(), 12u);
  gate.Open();
  // A task every 10 ms: each added thread would be woken about every 120 ms if they took turns, well
  // within the 300 ms they must stay idle to retire.
  std::atomic<int> ran{0};
  const auto until = Clock::now() + milliseconds(2000);
  int submitted = 0;
  while (Clock::now() < until) {
    ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
    ++submitted;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_LE(pool.Threads(), 6u) << "the burst's threads stayed while tasks trickled";
  ASSERT_TRUE(WaitUntil([&] { return ran.load() == submitted; }));
}

TEST(WorkerPoolTest, ALaneBoundsItsOwnersTasksOnASharedPoolAndOwnsNoThread) {
  auto shared = std::make_shared<WorkerPool>("shared", 1, 100, 8, milliseconds(200));
  auto slow = WorkerPool::Lane(shared, 2);
  auto other = WorkerPool::Lane(shared, 2);
  EXPECT_EQ(slow->Threads(), 0u);
  Gate gate;
  std::atomic<int> slow_started{0};
  ASSERT_TRUE(SubmitBlocked(*slow, gate, slow_started, 2));
  EXPECT_FALSE(slow->TrySubmit([] {}));  // its budget of two is in flight
  EXPECT_EQ(slow->Queued(), 2u);
  ASSERT_TRUE(WaitUntil([&] { return slow_started.load() == 2; }));
  // The other lane's task runs while the slow lane's tasks block.
  std::atomic<bool> other_ran{false};
  ASSERT_TRUE(other->TrySubmit([&] { other_ran = true; }));
  ASSERT_TRUE(WaitUntil([&] { return other_ran.load(); }));
  gate.Open();
  ASSERT_TRUE(WaitUntil([&] { return slow->Queued() == 0u; }));
  EXPECT_TRUE(slow->TrySubmit([] {}));  // budget given back
  // Shutting a lane down leaves the shared pool running.
  slow->Shutdown();
  EXPECT_FALSE(slow->TrySubmit([] {}));
  std::atomic<bool> after{false};
  ASSERT_TRUE(other->TrySubmit([&] { after = true; }));
  ASSERT_TRUE(WaitUntil([&] { return after.load(); }));
}

TEST(WorkerPoolTest, ALaneShutdownWaitsForItsRunningTaskAndDropsItsQueuedOnes) {
  auto shared = std::make_shared<WorkerPool>("shared", 1, 100);  // one fixed thread: tasks queue
  auto lane = WorkerPool::Lane(shared, 10);
  Gate gate;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<int> queued_ran{0};
  ASSERT_TRUE(lane->TrySubmit([&] {
    started = true;
    gate.Wait();
    finished = true;
  }));
  ASSERT_TRUE(lane->TrySubmit([&] { ++queued_ran; }));
  ASSERT_TRUE(WaitUntil([&] { return started.load(); }));
  std::thread opener([&] {
    std::this_thread::sleep_for(milliseconds(50));
    gate.Open();
  });
  lane->Shutdown();
  EXPECT_TRUE(finished.load());  // waited for the running task
  opener.join();
  ASSERT_TRUE(WaitUntil([&] { return shared->Queued() == 0u; }));
  shared->Shutdown();
  EXPECT_EQ(queued_ran.load(), 0);  // the queued one was dropped, unrun
}

TEST(SchedulerTest, RunsTasksInDueOrder) {
  WorkerPool pool("test", 1, 100);
  Scheduler scheduler(&pool);
  std::mutex mu;
  std::vector<int> order;
  const auto now = Clock::now();
  for (int i : {3, 1, 2}) {
    ASSERT_TRUE(scheduler.RunAt(now + milliseconds(20 * i), [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    }));
  }
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return order.size() == 3;
  }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// RunOnTimerAt's tasks run on the timer thread, not on a pool worker, and may schedule more (a poll that
// re-arms itself, then hands the real work to the pool).
TEST(SchedulerTest, TimerTasksRunOnTheTimerThreadAndMayScheduleMore) {
  WorkerPool pool("test", 1, 100);
  Scheduler scheduler(&pool);
  std::mutex mu;
  std::vector<std::string> threads;  // name of the thread each task ran on
  std::atomic<int> polls{0};
  auto record = [&] {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    std::lock_guard<std::mutex> lock(mu);
    threads.emplace_back(name);
  };
  std::function<void()> poll = [&] {
    record();
    if (++polls < 3) {
      ASSERT_TRUE(scheduler.RunOnTimerAt(Clock::now() + milliseconds(5), poll));
    } else {
      ASSERT_TRUE(scheduler.RunAt(Clock::now(), record));
    }
  };
  ASSERT_TRUE(scheduler.RunOnTimerAt(Clock::now(), poll));
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return threads.size() == 4;
  }));
  EXPECT_EQ(threads, (std::vector<std::string>{"scheduler", "scheduler", "scheduler", "test"}));
}

TEST(SchedulerTest, ABurstLargerThanThePoolQueueStillRunsEveryTask) {
  WorkerPool pool("test", 2, 8);
  Scheduler scheduler(&pool);
  std::atomic<int> done{0};
  const auto now = Clock::now();
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(scheduler.RunAt(now, [&] { ++done; }));
  EXPECT_TRUE(WaitUntil([&] { return done.load() == 5000; }));
  EXPECT_EQ(scheduler.Pending(), 0u);
}

TEST(SchedulerTest, ShutdownDropsPendingTasksUnrun) {
  WorkerPool pool("test", 1, 10);
  auto scheduler = std::make_unique<Scheduler>(&pool);
  std::atomic<bool> ran{false};
  auto token = std::make_shared<int>(0);
  ASSERT_TRUE(scheduler->RunAt(Clock::now() + std::chrono::hours(1), [&, token] { ran = true; }));
  EXPECT_EQ(scheduler->Pending(), 1u);
  scheduler->Shutdown();
  EXPECT_FALSE(scheduler->RunAt(Clock::now(), [] {}));
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_FALSE(ran.load());
}

}  // namespace
}  // namespace zkx
