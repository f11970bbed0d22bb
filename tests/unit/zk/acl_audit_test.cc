#include "zk/acl_audit.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

using Clock = std::chrono::steady_clock;

const AclEntry kWorldAll{kPermAll, "world", "anyone"};
const AclEntry kWorldRead{kPermRead, "world", "anyone"};
const AclEntry kDigestAll{kPermAll, "digest", "app:c2VjcmV0aGFzaA=="};
const AclEntry kIpRead{kPermRead, "ip", "10.0.0.0/8"};

// Answers GetAcl from a map, on a worker thread, and records the most requests outstanding at once.
class FakeAclReader final : public ZnodeReader {
 public:
  explicit FakeAclReader(std::map<std::string, Status> failures = {}) : failures_(std::move(failures)) {
    worker_ = std::thread([this] { Work(); });
  }
  ~FakeAclReader() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void GetChildren2(const std::string& path, ChildrenCallback done) override {
    done(Status::Internal("not used: " + path), {});
  }
  void GetAcl(const std::string& path, AclCallback done) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(path, std::move(done));
    most_outstanding_ = std::max(most_outstanding_, queue_.size());
    cv_.notify_one();
  }
  std::map<std::string, std::vector<AclEntry>> acls;
  std::size_t most_outstanding() {
    std::lock_guard<std::mutex> lock(mu_);
    return most_outstanding_;
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [path, done] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      auto failure = failures_.find(path);
      if (failure != failures_.end()) {
        done(failure->second, {}, {});
      } else {
        done(Status::Ok(), acls.at(path), {});
      }
      lock.lock();
    }
  }

  const std::map<std::string, Status> failures_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, AclCallback>> queue_;  // guarded by mu_
  std::size_t most_outstanding_ = 0;                       // guarded by mu_
  bool stop_ = false;                                      // guarded by mu_
  std::thread worker_;
};

TEST(TallyAclTest, CountsWorldPermissionsAndSchemesNotIdentities) {
  AclTally t;
  TallyAcl({kWorldAll}, &t);
  TallyAcl({kWorldRead, kDigestAll}, &t);
  TallyAcl({kDigestAll, {kPermRead, "digest", "other:aGFzaA=="}}, &t);  // two digest entries: one znode
  TallyAcl({kIpRead}, &t);
  TallyAcl({{kPermWrite, "world", "someone-else"}}, &t);  // not world:anyone
  EXPECT_EQ(t.audited, 5U);
  EXPECT_EQ(t.world_readable, 2U);
  EXPECT_EQ(t.world_writable, 1U);
  EXPECT_EQ(t.znodes_by_scheme, (std::map<std::string, uint64_t>{{"digest", 2}, {"ip", 1}, {"world", 3}}));
}

TEST(AuditAclsTest, TalliesEveryPathWithinTheWindow) {
  FakeAclReader reader;
  std::vector<std::string> paths;
  for (int i = 0; i < 500; ++i) {
    const std::string p = "/t/n" + std::to_string(i);
    reader.acls[p] = i % 5 == 0 ? std::vector<AclEntry>{kWorldAll} : std::vector<AclEntry>{kDigestAll};
    paths.push_back(p);
  }
  const AclTally t = AuditAcls(reader, paths, 16, Clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(t.status.ok()) << t.status.ToString();
  EXPECT_FALSE(t.timed_out);
  EXPECT_EQ(t.audited, 500U);
  EXPECT_EQ(t.world_readable, 100U);
  EXPECT_EQ(t.world_writable, 100U);
  EXPECT_EQ(t.znodes_by_scheme.at("digest"), 400U);
  EXPECT_LE(reader.most_outstanding(), 16U);
}

TEST(AuditAclsTest, VanishedAndUnreadableZnodesAreCountedAndSkipped) {
  FakeAclReader reader({{"/gone", Status::NotFound("gone")},
                        {"/secret", Status::PermissionDenied("no")},
                        {"/odd", Status::Internal("odd")}});
  reader.acls["/open"] = {kWorldAll};
  const AclTally t =
      AuditAcls(reader, {"/gone", "/secret", "/odd", "/open"}, 4, Clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(t.status.ok());
  EXPECT_EQ(t.audited, 1U);
  EXPECT_EQ(t.no_node, 1U);
  EXPECT_EQ(t.no_auth, 1U);
  EXPECT_EQ(t.errors, 1U);
}

TEST(AuditAclsTest, ALostConnectionStopsTheAudit) {
  std::map<std::string, Status> failures;
  std::vector<std::string> paths;
  for (int i = 0; i < 200; ++i) {
    paths.push_back("/n" + std::to_string(i));
    failures[paths.back()] = Status::Unavailable("connection lost");
  }
  FakeAclReader reader(failures);
  const AclTally t = AuditAcls(reader, paths, 1, Clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(t.audited, 0U);
}

// A reader that never answers: the deadline ends the audit, and the late callbacks stay harmless.
class SilentReader final : public ZnodeReader {
 public:
  void GetChildren2(const std::string& path, ChildrenCallback done) override {
    done(Status::Internal("not used: " + path), {});
  }
  void GetAcl(const std::string& /*path*/, AclCallback done) override { held.push_back(std::move(done)); }
  std::vector<AclCallback> held;
};

TEST(AuditAclsTest, TheDeadlineEndsAnAuditThatGetsNoAnswers) {
  SilentReader reader;
  const AclTally t = AuditAcls(reader, {"/a", "/b", "/c"}, 2, Clock::now() + std::chrono::milliseconds(50));
  EXPECT_TRUE(t.timed_out);
  EXPECT_EQ(t.audited, 0U);
  ASSERT_EQ(reader.held.size(), 2U);  // the window: the third request was never issued
  for (auto& done : reader.held) done(Status::Ok(), {kWorldAll}, {});  // late: must not crash
}

}  // namespace
}  // namespace zkx::zk
