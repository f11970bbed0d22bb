// Watch mode against an in-memory ZooKeeper with one-shot watches (FakeWatchReader): the published snapshot
// converges to the tree through bursts of changes, a lost session (watches gone, kResync), a deleted and
// re-created root, and the budget fallback to poll.
#include "collectors/watch_refresher.h"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;

// Thread-safe. Replies run synchronously on the caller's thread; events on the mutating (test) thread.
class FakeWatchReader final : public zk::ZnodeReader {
 public:
  FakeWatchReader() { tree_["/"] = {}; }

  void Create(const std::string& path, int32_t data = 0) {
    std::vector<zk::WatchEvent> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Node& n = tree_[path];
      n.stat.czxid = n.stat.mzxid = ++zxid_;
      n.stat.data_length = data;
      Node& parent = tree_.at(Parent(path));
      parent.children.insert(Name(path));
      parent.stat.num_children = static_cast<int32_t>(parent.children.size());
      ++parent.stat.cversion;
      Fire(&child_watches_, Parent(path), zk::WatchEventType::kChildrenChanged, &events);
      Fire(&data_watches_, path, zk::WatchEventType::kCreated, &events);
    }
    Dispatch(events);
  }
  void Set(const std::string& path, int32_t data) {
    std::vector<zk::WatchEvent> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Node& n = tree_.at(path);
      ++n.stat.version;
      n.stat.mzxid = ++zxid_;
      n.stat.data_length = data;
      Fire(&data_watches_, path, zk::WatchEventType::kDataChanged, &events);
    }
    Dispatch(events);
  }
  // Deletes `path` and its subtree, deepest first, as a client would.
  void DeleteRecursive(const std::string& path) {
    std::vector<std::string> children;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& c : tree_.at(path).children)
        children.push_back(path == "/" ? "/" + c : path + "/" + c);
    }
    for (const auto& c : children) DeleteRecursive(c);
    std::vector<zk::WatchEvent> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tree_.erase(path);
      Node& parent = tree_.at(Parent(path));
      parent.children.erase(Name(path));
      parent.stat.num_children = static_cast<int32_t>(parent.children.size());
      ++parent.stat.cversion;
      Fire(&data_watches_, path, zk::WatchEventType::kDeleted, &events);
      Fire(&child_watches_, path, zk::WatchEventType::kDeleted, &events);
      Fire(&child_watches_, Parent(path), zk::WatchEventType::kChildrenChanged, &events);
    }
    Dispatch(events);
  }
  // A session expiry: every watch is gone; events stay silent until Reconnect().
  void LoseSession() {
    std::lock_guard<std::mutex> lock(mu_);
    data_watches_.clear();
    child_watches_.clear();
  }
  void Reconnect() {
    uint64_t epoch = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      epoch = ++epoch_;
    }
    Dispatch({zk::WatchEvent{zk::WatchEventType::kResync, {}, epoch}});
  }
  // path -> (version, cversion, children) under `root`.
  std::map<std::string, std::tuple<int32_t, int32_t, int32_t>> Expected(const std::string& root) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::tuple<int32_t, int32_t, int32_t>> out;
    for (const auto& [p, n] : tree_) {
      if (p == root || p.rfind(root + "/", 0) == 0)
        out[p] = {n.stat.version, n.stat.cversion, n.stat.num_children};
    }
    return out;
  }
  std::size_t watches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return data_watches_.size() + child_watches_.size();
  }

  void GetChildren2(const std::string& path, zk::ChildrenCallback done) override {
    Read(path, false, std::move(done));
  }
  void WatchChildren2(const std::string& path, zk::ChildrenCallback done) override {
    Read(path, true, std::move(done));
  }
  void WatchExists(const std::string& path, zk::StatCallback done) override {
    Status status;
    zk::ZnodeStat stat;
    {
      std::lock_guard<std::mutex> lock(mu_);
      data_watches_.insert(path);  // an exists-watch when missing
      auto it = tree_.find(path);
      if (it == tree_.end()) {
        status = Status::NotFound(path);
      } else {
        stat = it->second.stat;
      }
    }
    done(std::move(status), stat);
  }
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override {
    bool had = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      had = data_watches_.erase(path) + child_watches_.erase(path) > 0;
    }
    done(had ? Status::Ok() : Status::Internal("no watcher on " + path));
  }
  zk::WatchSubscription SubscribeWatches(zk::WatchListener listener) override {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    const int id = next_id_++;
    listeners_[id] = std::move(listener);
    return zk::WatchSubscription([this, id] {
      std::lock_guard<std::mutex> l(listeners_mu_);
      listeners_.erase(id);
    });
  }
  uint64_t SessionEpoch() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return epoch_;
  }

 private:
  struct Node {
    zk::ZnodeStat stat;
    std::set<std::string> children;
  };
  static std::string Parent(const std::string& p) {
    const auto slash = p.rfind('/');
    return slash == 0 ? "/" : p.substr(0, slash);
  }
  static std::string Name(const std::string& p) { return p.substr(p.rfind('/') + 1); }
  void Fire(std::set<std::string>* watches, const std::string& path, zk::WatchEventType type,
            std::vector<zk::WatchEvent>* events) {
    if (watches->erase(path) > 0) events->push_back({type, path, epoch_});
  }
  void Dispatch(const std::vector<zk::WatchEvent>& events) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (const auto& e : events) {
      for (auto& [id, l] : listeners_) l(e);
    }
  }
  void Read(const std::string& path, bool watch, zk::ChildrenCallback done) {
    Status status;
    zk::ChildrenResult result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = tree_.find(path);
      if (it == tree_.end()) {
        status = Status::NotFound(path);
      } else {
        result.stat = it->second.stat;
        result.children.assign(it->second.children.begin(), it->second.children.end());
        if (watch) child_watches_.insert(path);
      }
    }
    done(std::move(status), std::move(result));
  }

  mutable std::mutex mu_;
  std::map<std::string, Node> tree_;
  std::set<std::string> data_watches_;
  std::set<std::string> child_watches_;
  int64_t zxid_ = 1;
  uint64_t epoch_ = 1;
  std::mutex listeners_mu_;
  std::map<int, zk::WatchListener> listeners_;
  int next_id_ = 1;
};

SubtreeSpec WatchSpec(const std::string& root) {
  SubtreeSpec s;
  s.root = root;
  s.refresh_mode = RefreshMode::kWatch;
  s.refresh_interval = milliseconds(100);  // the poll interval after a fallback
  s.resync_interval = std::chrono::hours(1);
  s.znode_patterns = {root + "/**"};
  s.max_znode_series = 100000;
  return s;
}

std::map<std::string, std::tuple<int32_t, int32_t, int32_t>> Published(const SubtreeRefresher& r) {
  std::map<std::string, std::tuple<int32_t, int32_t, int32_t>> out;
  auto view = r.View();
  if (!view->last_success) return out;
  for (const auto& z : view->last_success->znode_samples) {
    out[z.path] = {z.stat.version, z.stat.cversion, z.stat.num_children};
  }
  return out;
}

bool Converges(const FakeWatchReader& zk, const SubtreeRefresher& r, const std::string& root) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Published(r) == zk.Expected(root)) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

void BuildTree(FakeWatchReader& zk) {
  zk.Create("/r");
  for (int i = 0; i < 10; ++i) {
    zk.Create("/r/n" + std::to_string(i));
    for (int j = 0; j < 5; ++j) zk.Create("/r/n" + std::to_string(i) + "/c" + std::to_string(j), 10);
  }
  zk.Create("/other");
}

TEST(WatchRefresherTest, ConvergesThroughBurstsOfChanges) {
  FakeWatchReader zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
  EXPECT_GT(budget.used(), 0u);
  EXPECT_EQ(r.View()->refreshes_total, 1u);

  for (int i = 0; i < 10; ++i) {
    zk.Create("/r/new" + std::to_string(i));
    zk.Create("/r/new" + std::to_string(i) + "/leaf");
    zk.Set("/r/n" + std::to_string(i) + "/c0", 20 + i);
  }
  zk.DeleteRecursive("/r/n3");
  zk.DeleteRecursive("/r/n7/c4");
  zk.Create("/r/n3");  // re-created under the same name, empty
  zk.Create("/other/ignored");
  ASSERT_TRUE(Converges(zk, r, "/r"));

  const WatchState w = r.View()->watch;
  EXPECT_EQ(w.created_total, 21u);  // 10 + 10 leaves + the new /r/n3
  EXPECT_EQ(w.deleted_total, 7u);   // /r/n3 + its 5 children, /r/n7/c4
  EXPECT_GE(w.data_changed_total, 10u);
  EXPECT_GE(w.children_changed_total, 1u);
  EXPECT_EQ(r.View()->refreshes_total, 1u);  // no full walk was needed
  EXPECT_EQ(r.View()->watch.watched_bytes, budget.used());
  r.Stop();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchRefresherTest, ResyncsAfterTheSessionLostItsWatches) {
  FakeWatchReader zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  zk.LoseSession();
  zk.Create("/r/silent");  // no watch left: no event
  zk.Set("/r/n1", 99);
  zk.DeleteRecursive("/r/n2");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_NE(Published(r), zk.Expected("/r"));  // nothing told the mirror
  zk.Reconnect();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->refreshes_total, 2u);
  EXPECT_EQ(r.View()->watch.resyncs_total, 2u);
  // Watches are back: a change is seen again without a walk.
  zk.Set("/r/silent", 5);
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->refreshes_total, 2u);
}

TEST(WatchRefresherTest, DeletedAndRecreatedRootIsTrackedAgain) {
  FakeWatchReader zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  zk.DeleteRecursive("/r");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_FALSE(r.View()->last_success->root_exists);
  zk.Create("/r");
  zk.Create("/r/back");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_TRUE(r.View()->last_success->root_exists);
  zk.Create("/r/back/again");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
}

TEST(WatchRefresherTest, MissingRootAtStartIsTrackedOnceCreated) {
  FakeWatchReader zk;
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  for (int i = 0; i < 500 && r.View()->last_success == nullptr; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_NE(r.View()->last_success, nullptr);
  EXPECT_FALSE(r.View()->last_success->root_exists);
  zk.Create("/r");
  zk.Create("/r/x");
  ASSERT_TRUE(Converges(zk, r, "/r"));
}

TEST(WatchRefresherTest, FallsBackToPollOverTheBudget) {
  FakeWatchReader zk;
  BuildTree(zk);
  WatchBudget budget(200);  // the tree needs ~1.2 KB of watched paths
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && r.View()->watch.mode != RefreshMode::kPoll; ++i)
      std::this_thread::sleep_for(milliseconds(10));
    return r.View()->watch.mode == RefreshMode::kPoll;
  }());
  EXPECT_EQ(r.View()->configured_mode, RefreshMode::kWatch);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(zk.watches(), 0u);  // the sizing walk sets none
  zk.Create("/r/polled");       // poll mode still sees changes, every refresh_interval
  ASSERT_TRUE(Converges(zk, r, "/r"));
}

TEST(WatchRefresherTest, GrowingPastTheBudgetFallsBack) {
  FakeWatchReader zk;
  zk.Create("/r");
  WatchBudget budget(300);
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
  for (int i = 0; i < 20; ++i) zk.Create("/r/child-" + std::to_string(i));
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kPoll);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(zk.watches(), 0u);  // the fallback removed every watch it had armed
}

}  // namespace
}  // namespace zkx::collectors
