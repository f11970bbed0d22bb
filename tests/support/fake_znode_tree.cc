// FakeZnodeTree (see fake_znode_tree.h): the tree and its watches under mu_, answers through Submit.
#include "tests/support/fake_znode_tree.h"

#include <chrono>
#include <random>
#include <stdexcept>
#include <utility>

#include "base/znode_path.h"

namespace zkx::test {

namespace {
constexpr unsigned kWorkers = 3;
}  // namespace

FakeZnodeTree::FakeZnodeTree(Answer answer) : answer_(answer) {
  {
    MutexLock lock(mu_);
    tree_["/"].acl = {{zk::kPermAll, "world", "anyone"}};
  }
  if (answer_ == Answer::kWorkers) {
    for (unsigned i = 0; i < kWorkers; ++i) workers_.emplace_back([this, i] { Work(i); });
  }
}

FakeZnodeTree::~FakeZnodeTree() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  ReleaseHeld();  // what the workers left, or what kHold held: answered now, long after it was asked
}

void FakeZnodeTree::Create(const std::string& path, std::string data, std::vector<zk::AclEntry> acl) {
  std::vector<std::string> missing;
  {
    MutexLock lock(mu_);
    if (tree_.count(path) != 0) throw std::logic_error("FakeZnodeTree::Create: exists: " + path);
    for (std::string p = ZnodeParent(path); tree_.count(p) == 0; p = ZnodeParent(p)) missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) CreateOne(*it, {}, {});
  CreateOne(path, std::move(data), std::move(acl));
}

void FakeZnodeTree::CreateOne(const std::string& path, std::string data, std::vector<zk::AclEntry> acl) {
  std::vector<zk::WatchEvent> events;
  {
    MutexLock lock(mu_);
    const std::string parent_path = ZnodeParent(path);
    Node& node = tree_[path];
    node.stat.czxid = node.stat.mzxid = node.stat.pzxid = ++zxid_;
    node.stat.data_length = static_cast<int32_t>(data.size());
    node.data = std::move(data);
    node.acl = acl.empty() ? std::vector<zk::AclEntry>{{zk::kPermAll, "world", "anyone"}} : std::move(acl);
    Node& parent = tree_.at(parent_path);
    parent.children.insert(path.substr(path.rfind('/') + 1));
    parent.stat.num_children = static_cast<int32_t>(parent.children.size());
    ++parent.stat.cversion;
    parent.stat.pzxid = zxid_;
    Fire(&child_watches_, parent_path, zk::WatchEventType::kChildrenChanged, &events);
    Fire(&data_watches_, path, zk::WatchEventType::kCreated, &events);
  }
  Dispatch(events);
}

void FakeZnodeTree::Set(const std::string& path, std::string data) {
  std::vector<zk::WatchEvent> events;
  {
    MutexLock lock(mu_);
    auto it = tree_.find(path);
    if (it == tree_.end()) throw std::logic_error("FakeZnodeTree::Set: no znode " + path);
    Node& node = it->second;
    ++node.stat.version;
    node.stat.mzxid = ++zxid_;
    node.stat.data_length = static_cast<int32_t>(data.size());
    node.data = std::move(data);
    Fire(&data_watches_, path, zk::WatchEventType::kDataChanged, &events);
  }
  Dispatch(events);
}

void FakeZnodeTree::RewriteInPlace(const std::string& path, std::string data) {
  MutexLock lock(mu_);
  auto it = tree_.find(path);
  if (it == tree_.end()) throw std::logic_error("FakeZnodeTree::RewriteInPlace: no znode " + path);
  it->second.data = std::move(data);
}

void FakeZnodeTree::Delete(const std::string& path) {
  std::vector<std::string> children;
  {
    MutexLock lock(mu_);
    auto it = tree_.find(path);
    if (it == tree_.end() || path == "/")
      throw std::logic_error("FakeZnodeTree::Delete: cannot delete " + path);
    for (const auto& name : it->second.children) children.push_back(JoinZnodePath(path, name));
  }
  for (const auto& child : children) Delete(child);
  DeleteOne(path);
}

void FakeZnodeTree::DeleteOne(const std::string& path) {
  std::vector<zk::WatchEvent> events;
  {
    MutexLock lock(mu_);
    const std::string parent_path = ZnodeParent(path);
    tree_.erase(path);
    Node& parent = tree_.at(parent_path);
    parent.children.erase(path.substr(path.rfind('/') + 1));
    parent.stat.num_children = static_cast<int32_t>(parent.children.size());
    ++parent.stat.cversion;
    parent.stat.pzxid = ++zxid_;
    Fire(&data_watches_, path, zk::WatchEventType::kDeleted, &events);
    Fire(&child_watches_, path, zk::WatchEventType::kDeleted, &events);
    Fire(&child_watches_, parent_path, zk::WatchEventType::kChildrenChanged, &events);
  }
  Dispatch(events);
}

void FakeZnodeTree::FailWith(const std::string& path, Status status) {
  MutexLock lock(mu_);
  failures_[path] = std::move(status);
}

void FakeZnodeTree::Heal(const std::string& path) {
  MutexLock lock(mu_);
  failures_.erase(path);
}

void FakeZnodeTree::Deny(const std::string& path) {
  MutexLock lock(mu_);
  denied_.insert(path);
}

void FakeZnodeTree::Allow(const std::string& path) {
  MutexLock lock(mu_);
  denied_.erase(path);
}

void FakeZnodeTree::LoseWatches() {
  MutexLock lock(mu_);
  data_watches_.clear();
  child_watches_.clear();
}

void FakeZnodeTree::Reconnect() {
  uint64_t epoch = 0;
  {
    MutexLock lock(mu_);
    epoch = ++epoch_;
  }
  Dispatch({zk::WatchEvent{zk::WatchEventType::kResync, {}, epoch}});
}

void FakeZnodeTree::SetSessionEpoch(uint64_t epoch) {
  MutexLock lock(mu_);
  epoch_ = epoch;
}

void FakeZnodeTree::Deliver(const zk::WatchEvent& event) {
  Dispatch({event});
}

std::map<std::string, zk::ZnodeStat> FakeZnodeTree::Stats(const std::string& root) const {
  MutexLock lock(mu_);
  std::map<std::string, zk::ZnodeStat> out;
  for (const auto& [path, node] : tree_) {
    if (ZnodePathInside(path, root)) out.emplace(path, node.stat);
  }
  return out;
}

std::size_t FakeZnodeTree::watches() const {
  MutexLock lock(mu_);
  return data_watches_.size() + child_watches_.size();
}

bool FakeZnodeTree::HasDataWatch(const std::string& path) const {
  MutexLock lock(mu_);
  return data_watches_.contains(path);
}

bool FakeZnodeTree::HasChildWatch(const std::string& path) const {
  MutexLock lock(mu_);
  return child_watches_.contains(path);
}

std::size_t FakeZnodeTree::listeners() const {
  MutexLock lock(listeners_mu_);
  return listeners_.size();
}

int FakeZnodeTree::requests(Op op) const {
  MutexLock lock(mu_);
  auto it = requests_by_op_.find(op);
  return it == requests_by_op_.end() ? 0 : it->second;
}

std::vector<std::string> FakeZnodeTree::requested_paths() const {
  MutexLock lock(mu_);
  return requested_paths_;
}

std::size_t FakeZnodeTree::held() const {
  MutexLock lock(mu_);
  return queue_.size();
}

std::size_t FakeZnodeTree::ReleaseHeld(std::size_t max) {
  for (std::size_t answered = 0;; ++answered) {
    std::function<void()> answer;
    {
      MutexLock lock(mu_);
      if (queue_.empty() || answered == max) return answered;
      answer = std::move(queue_.front());
      queue_.pop_front();
    }
    answer();
  }
}

void FakeZnodeTree::GetChildren2(const std::string& path, zk::ChildrenCallback done) {
  ListChildren(Op::kGetChildren, path, std::move(done));
}

void FakeZnodeTree::WatchChildren2(const std::string& path, zk::ChildrenCallback done) {
  ListChildren(Op::kWatchChildren, path, std::move(done));
}

void FakeZnodeTree::ListChildren(Op op, const std::string& path, zk::ChildrenCallback done) {
  Submit(op, path, [this, op, path, done = std::move(done)] {
    Node node;
    Status status = Read(path, op == Op::kWatchChildren ? Watch::kChild : Watch::kNone, &node);
    zk::ChildrenResult result;
    if (status.ok()) {
      result.stat = node.stat;
      result.children.assign(node.children.begin(), node.children.end());
    }
    Answered();
    done(std::move(status), std::move(result));
  });
}

void FakeZnodeTree::WatchExists(const std::string& path, zk::StatCallback done) {
  Submit(Op::kWatchExists, path, [this, path, done = std::move(done)] {
    Node node;
    Status status = Read(path, Watch::kExists, &node);
    Answered();
    done(std::move(status), node.stat);
  });
}

void FakeZnodeTree::GetAcl(const std::string& path, zk::AclCallback done) {
  Submit(Op::kGetAcl, path, [this, path, done = std::move(done)] {
    Node node;
    Status status = Read(path, Watch::kNone, &node);
    Answered();
    done(std::move(status), std::move(node.acl), node.stat);
  });
}

void FakeZnodeTree::GetData(const std::string& path,
                            std::function<void(Status, std::string, zk::ZnodeStat)> done) {
  Submit(Op::kGetData, path, [this, path, done = std::move(done)] {
    Node node;
    Status status = Read(path, Watch::kNone, &node);
    Answered();
    done(std::move(status), std::move(node.data), node.stat);
  });
}

void FakeZnodeTree::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  Submit(Op::kRemoveWatches, path, [this, path, done = std::move(done)] {
    Status status;
    {
      MutexLock lock(mu_);
      if (auto failure = failures_.find(path); failure != failures_.end()) {
        status = failure->second;
      } else if (data_watches_.erase(path) + child_watches_.erase(path) == 0) {
        status = Status::Internal("no watcher on " + path);
      }
    }
    Answered();
    done(std::move(status));
  });
}

zk::WatchSubscription FakeZnodeTree::SubscribeWatches(zk::WatchListener listener) {
  MutexLock lock(listeners_mu_);
  const int id = next_listener_++;
  listeners_[id] = std::move(listener);
  return zk::WatchSubscription([this, id] {
    MutexLock l(listeners_mu_);
    listeners_.erase(id);
  });
}

uint64_t FakeZnodeTree::SessionEpoch() const {
  MutexLock lock(mu_);
  return epoch_;
}

void FakeZnodeTree::Submit(Op op, const std::string& path, std::function<void()> answer) {
  const int now = in_flight_.fetch_add(1) + 1;
  int most = max_in_flight_.load();
  while (now > most && !max_in_flight_.compare_exchange_weak(most, now)) {
  }
  requests_.fetch_add(1);
  {
    MutexLock lock(mu_);
    ++requests_by_op_[op];
    requested_paths_.push_back(path);
    if (answer_ != Answer::kInline) {
      queue_.push_back(std::move(answer));
      answer = nullptr;
    }
  }
  if (answer) {
    answer();
  } else {
    cv_.notify_one();
  }
}

Status FakeZnodeTree::Read(const std::string& path, Watch watch, Node* copy) {
  MutexLock lock(mu_);
  if (auto failure = failures_.find(path); failure != failures_.end()) return failure->second;
  if (watch == Watch::kExists) data_watches_.insert(path);  // also on a missing znode: it fires kCreated
  auto it = tree_.find(path);
  if (it == tree_.end()) return Status::NotFound("no node " + path);
  // As the server: a missing znode first, then the ACL (which exists does not check), then the watch.
  if (watch != Watch::kExists && denied_.contains(path))
    return Status::PermissionDenied("no READ on " + path);
  if (watch == Watch::kChild) child_watches_.insert(path);
  *copy = it->second;
  return Status::Ok();
}

void FakeZnodeTree::Fire(std::set<std::string>* watches, const std::string& path, zk::WatchEventType type,
                         std::vector<zk::WatchEvent>* events) {
  if (watches->erase(path) > 0) events->push_back({type, path, epoch_});
}

void FakeZnodeTree::Dispatch(const std::vector<zk::WatchEvent>& events) {
  if (events.empty()) return;
  MutexLock lock(listeners_mu_);
  for (const auto& event : events) {
    for (auto& [id, listener] : listeners_) listener(event);
  }
}

void FakeZnodeTree::Work(unsigned seed) {
  std::mt19937 rng(seed * 7919U + 1U);
  for (;;) {
    std::function<void()> answer;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() REQUIRES(mu_) { return stop_ || !queue_.empty(); });
      if (stop_) return;
      // A random queued request: completions arrive out of order.
      std::uniform_int_distribution<std::size_t> pick(0, queue_.size() - 1);
      auto it = queue_.begin() + static_cast<std::ptrdiff_t>(pick(rng));
      answer = std::move(*it);
      queue_.erase(it);
    }
    std::uniform_int_distribution<int> delay_us(0, 300);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    answer();
  }
}

}  // namespace zkx::test
