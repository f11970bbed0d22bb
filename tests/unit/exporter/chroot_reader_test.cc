#include "zk/chroot_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_znode_tree.h"

namespace zkx::zk {
namespace {

using test::FakeZnodeTree;

TEST(ChrootReaderTest, PrefixesRequests) {
  FakeZnodeTree inner;
  inner.SetSessionEpoch(7);
  ChrootReader reader(&inner, "/kafka");
  reader.GetChildren2("/", [](Status, ChildrenResult) {});
  reader.WatchChildren2("/brokers/ids", [](Status, ChildrenResult) {});
  EXPECT_EQ(inner.requested_paths(), (std::vector<std::string>{"/kafka", "/kafka/brokers/ids"}));
  EXPECT_EQ(reader.SessionEpoch(), 7u);
}

// Value rules read data through a /probe target's chroot: the read goes to the chrooted path and answers
// with that znode's data (before, ChrootReader did not forward GetData and every read failed).
TEST(ChrootReaderTest, ReadsDataUnderTheChroot) {
  FakeZnodeTree inner;
  inner.Create("/kafka/controller", R"({"brokerid":2})");
  inner.Create("/controller", "elsewhere");
  ChrootReader reader(&inner, "/kafka");
  Status status = Status::Internal("not called");
  std::string data;
  reader.GetData("/controller", [&](Status s, std::string d, ZnodeStat) {
    status = std::move(s);
    data = std::move(d);
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(data, R"({"brokerid":2})");
  EXPECT_EQ(inner.requested_paths(), (std::vector<std::string>{"/kafka/controller"}));
}

TEST(ChrootReaderTest, NoChrootIsIdentity) {
  FakeZnodeTree inner;
  ChrootReader reader(&inner, "");
  reader.GetChildren2("/", [](Status, ChildrenResult) {});
  EXPECT_EQ(inner.requested_paths(), (std::vector<std::string>{"/"}));
}

TEST(ChrootReaderTest, FiltersAndStripsWatchEvents) {
  FakeZnodeTree inner;
  ChrootReader reader(&inner, "/kafka");
  std::vector<WatchEvent> got;
  WatchSubscription sub = reader.SubscribeWatches([&](const WatchEvent& e) { got.push_back(e); });
  inner.Deliver({WatchEventType::kChildrenChanged, "/kafka/brokers", 1});
  inner.Deliver({WatchEventType::kDataChanged, "/kafka", 1});
  inner.Deliver({WatchEventType::kDataChanged, "/kafka2/x", 1});  // a sibling chroot: not ours
  inner.Deliver({WatchEventType::kDeleted, "/solr", 1});
  inner.Deliver({WatchEventType::kResync, "", 2});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, "/brokers");
  EXPECT_EQ(got[1].path, "/");
  EXPECT_EQ(got[2].type, WatchEventType::kResync);
  sub.Reset();
  EXPECT_EQ(inner.listeners(), 0u);
}

}  // namespace
}  // namespace zkx::zk
