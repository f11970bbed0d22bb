// RefreshScheduler's rounds (JoinRoundAt): poll walks due in the same slot run as one round on one worker,
// a full round leaves the next walkers a new one, a walker with nothing to walk is skipped, and a scheduler
// torn down drops the walkers it still held, unrun. The walks read an in-memory FakeZnodeTree.

#include "collectors/refresh_scheduler.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/thread_annotations.h"
#include "tests/support/fake_znode_tree.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::collectors {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What the walkers of one test saw. A round is identified by its worker thread and by how many walks had
// ended on that thread when it began: a round begins every walk before it ends any, and one worker runs
// its rounds one after another.
class Journal {
 public:
  using RoundId = std::pair<std::thread::id, int>;

  RoundId Began() {
    MutexLock lock(mu_);
    ++begun_;
    return {std::this_thread::get_id(), ended_on_[std::this_thread::get_id()]};
  }
  void Ended(std::size_t visited) {
    MutexLock lock(mu_);
    ++ended_on_[std::this_thread::get_id()];
    ++ended_;
    visited_ += visited;
  }
  int ended() const {
    MutexLock lock(mu_);
    return ended_;
  }
  int begun() const {
    MutexLock lock(mu_);
    return begun_;
  }
  std::size_t visited() const {
    MutexLock lock(mu_);
    return visited_;
  }

 private:
  mutable Mutex mu_;
  std::map<std::thread::id, int> ended_on_ GUARDED_BY(mu_);
  int begun_ GUARDED_BY(mu_) = 0;
  int ended_ GUARDED_BY(mu_) = 0;
  std::size_t visited_ GUARDED_BY(mu_) = 0;
};

class FakeWalker final : public RoundWalker {
 public:
  FakeWalker(zk::ZnodeReader* reader, std::string root, Journal* journal, bool has_walk = true)
      : reader_(reader), root_(std::move(root)), journal_(journal), has_walk_(has_walk) {}

  std::optional<zk::WalkJob> BeginWalk() override {
    round_ = journal_->Began();
    if (!has_walk_) return std::nullopt;
    zk::WalkJob job;
    job.reader = reader_;
    job.root = root_;
    job.visit = [](const zk::WalkedZnode&) { return true; };
    return job;
  }
  void EndWalk(zk::WalkSummary summary) override {
    status_ = summary.status;
    ++ends_;
    journal_->Ended(summary.visited);
  }

  // Read after the journal shows the walk ended (the journal's mutex orders it).
  [[nodiscard]] Journal::RoundId round() const { return round_; }
  [[nodiscard]] int ends() const { return ends_; }
  [[nodiscard]] const Status& status() const { return status_; }

 private:
  zk::ZnodeReader* const reader_;
  const std::string root_;
  Journal* const journal_;
  const bool has_walk_;
  Journal::RoundId round_;
  Status status_;
  int ends_ = 0;
};

std::set<Journal::RoundId> Rounds(const std::vector<std::shared_ptr<FakeWalker>>& walkers) {
  std::set<Journal::RoundId> rounds;
  for (const auto& w : walkers) rounds.insert(w->round());
  return rounds;
}

bool WaitEnded(const Journal& journal, int n) {
  return test::WaitFor([&] { return journal.ended() >= n; }, milliseconds(20000), milliseconds(5));
}

class RefreshRoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 8; ++i) tree_.Create("/r" + std::to_string(i) + "/a/b");
  }
  std::shared_ptr<FakeWalker> Walker(int i, bool has_walk = true) {
    return std::make_shared<FakeWalker>(&tree_, "/r" + std::to_string(i % 8), &journal_, has_walk);
  }

  test::FakeZnodeTree tree_{test::FakeZnodeTree::Answer::kWorkers};
  Journal journal_;
  RefreshScheduler scheduler_{[] { return true; }};
};

TEST_F(RefreshRoundsTest, WalksDueInOneSlotRunAsOneRound) {
  std::vector<std::shared_ptr<FakeWalker>> walkers;
  const Clock::time_point when = Clock::now() + milliseconds(100);
  for (int i = 0; i < 40; ++i) {
    walkers.push_back(Walker(i));
    scheduler_.JoinRoundAt(when, milliseconds(30000), walkers.back());
  }
  ASSERT_TRUE(WaitEnded(journal_, 40));
  EXPECT_EQ(Rounds(walkers).size(), 1u);
  for (const auto& w : walkers) {
    EXPECT_EQ(w->ends(), 1);
    EXPECT_TRUE(w->status().ok()) << w->status().ToString();
  }
  EXPECT_EQ(journal_.visited(), 40u * 3);  // /rN, /rN/a, /rN/a/b
}

TEST_F(RefreshRoundsTest, WalksInDifferentSlotsRunInDifferentRounds) {
  // A 1 s interval has 31.25 ms slots: 0, 200 and 400 ms from now are three of them.
  std::vector<std::shared_ptr<FakeWalker>> walkers;
  const Clock::time_point now = Clock::now();
  for (int i = 0; i < 9; ++i) {
    walkers.push_back(Walker(i));
    scheduler_.JoinRoundAt(now + milliseconds(200) * (i % 3), milliseconds(1000), walkers.back());
  }
  ASSERT_TRUE(WaitEnded(journal_, 9));
  EXPECT_EQ(Rounds(walkers).size(), 3u);
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(walkers[i]->round(), walkers[i % 3]->round()) << i;
}

TEST_F(RefreshRoundsTest, AFullRoundLeavesLaterWalkersANewOne) {
  std::vector<std::shared_ptr<FakeWalker>> walkers;
  const Clock::time_point when = Clock::now() + milliseconds(300);
  const int n = static_cast<int>(RefreshScheduler::kMaxRound) + 1;
  for (int i = 0; i < n; ++i) {
    walkers.push_back(Walker(i));
    scheduler_.JoinRoundAt(when, milliseconds(30000), walkers.back());
  }
  ASSERT_TRUE(WaitEnded(journal_, n));
  std::map<Journal::RoundId, int> sizes;
  for (const auto& w : walkers) ++sizes[w->round()];
  ASSERT_EQ(sizes.size(), 2u);
  std::multiset<int> got;
  for (const auto& [round, size] : sizes) got.insert(size);
  EXPECT_EQ(got, (std::multiset<int>{1, static_cast<int>(RefreshScheduler::kMaxRound)}));
}

TEST_F(RefreshRoundsTest, AWalkerWithNothingToWalkIsSkipped) {
  auto idle = Walker(0, /*has_walk=*/false);
  auto busy = Walker(1);
  const Clock::time_point when = Clock::now() + milliseconds(50);
  scheduler_.JoinRoundAt(when, milliseconds(30000), idle);
  scheduler_.JoinRoundAt(when, milliseconds(30000), busy);
  ASSERT_TRUE(WaitEnded(journal_, 1));
  EXPECT_EQ(journal_.begun(), 2);
  EXPECT_EQ(busy->ends(), 1);
  EXPECT_EQ(idle->ends(), 0);
}

TEST(RefreshRoundsShutdownTest, WalkersStillWaitingAreDroppedUnrun) {
  test::FakeZnodeTree tree;
  Journal journal;
  auto walker = std::make_shared<FakeWalker>(&tree, "/", &journal);
  std::weak_ptr<FakeWalker> held = walker;
  {
    RefreshScheduler scheduler([] { return true; });
    scheduler.JoinRoundAt(Clock::now() + std::chrono::hours(1), milliseconds(30000), std::move(walker));
    EXPECT_FALSE(held.expired());  // the round holds it
    scheduler.Shutdown();
    EXPECT_TRUE(held.expired());
    // A walker joining after Shutdown is dropped at once.
    auto late = std::make_shared<FakeWalker>(&tree, "/", &journal);
    std::weak_ptr<FakeWalker> late_held = late;
    scheduler.JoinRoundAt(Clock::now(), milliseconds(30000), std::move(late));
    EXPECT_TRUE(late_held.expired());
  }
  EXPECT_EQ(journal.begun(), 0);
}

// ----------------------------------------------------------------------------- NextOnGrid (pure)

Clock::time_point At(int64_t ms) {
  return Clock::time_point(milliseconds(ms));
}

TEST(NextOnGridTest, KeepsToThePhaseWithAPeriodOfOneInterval) {
  const milliseconds interval(30000);
  const uint64_t phase = 7000000000ULL;  // 7 s, in steady_clock ticks (nanoseconds)
  ASSERT_EQ(Clock::duration(std::chrono::seconds(1)).count(), 1000000000);
  // Started on its grid: due one interval later.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(37000), interval, phase, At(37100)), At(67000));
  // Started anywhere: the first grid point at least half an interval on.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(100000), interval, phase, At(100010)), At(127000));
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(110000), interval, phase, At(110010)), At(127000));
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(113000), interval, phase, At(113010)), At(157000));
  // A phase beyond the interval wraps.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(100000), interval, phase + 30000000000ULL, At(100010)),
            At(127000));
  // A walk that ran past its grid point: the next grid point after now.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(37000), interval, phase, At(60000)), At(67000));
  // A walk longer than the interval: at once.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(37000), interval, phase, At(68000)), At(68000));
  // A clock younger than the interval.
  EXPECT_EQ(RefreshScheduler::NextOnGrid(At(0), interval, phase, At(1)), At(37000));
}

TEST(NextOnGridTest, SubtreesStartedTogetherSpreadOverTheInterval) {
  const milliseconds interval(1000);
  std::vector<int> per_tenth(10, 0);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t phase = std::hash<std::string>{}("/scale/s" + std::to_string(i));
    const Clock::time_point next = RefreshScheduler::NextOnGrid(At(5000), interval, phase, At(5001));
    ASSERT_GE(next, At(5500));
    ASSERT_LT(next, At(6500));
    ++per_tenth.at(static_cast<std::size_t>((next - At(5500)) / milliseconds(100)));
  }
  for (int n : per_tenth) {
    EXPECT_GT(n, 800);  // 1,000 expected in each tenth of the interval
    EXPECT_LT(n, 1200);
  }
}

}  // namespace
}  // namespace zkx::collectors
