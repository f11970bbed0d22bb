#include "zk/chroot_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

// Records the paths it is asked for and lets the test fire watch events.
class RecordingReader final : public ZnodeReader {
 public:
  std::vector<std::string> paths;
  WatchListener listener;
  void GetChildren2(const std::string& path, ChildrenCallback done) override {
    paths.push_back(path);
    done(Status::Ok(), {});
  }
  void WatchChildren2(const std::string& path, ChildrenCallback done) override {
    GetChildren2(path, std::move(done));
  }
  WatchSubscription SubscribeWatches(WatchListener l) override {
    listener = std::move(l);
    return WatchSubscription([this] { listener = nullptr; });
  }
  [[nodiscard]] uint64_t SessionEpoch() const override { return 7; }
};

TEST(ChrootReaderTest, PrefixesRequests) {
  RecordingReader inner;
  ChrootReader reader(&inner, "/kafka");
  reader.GetChildren2("/", [](Status, ChildrenResult) {});
  reader.WatchChildren2("/brokers/ids", [](Status, ChildrenResult) {});
  EXPECT_EQ(inner.paths, (std::vector<std::string>{"/kafka", "/kafka/brokers/ids"}));
  EXPECT_EQ(reader.SessionEpoch(), 7u);
}

TEST(ChrootReaderTest, NoChrootIsIdentity) {
  RecordingReader inner;
  ChrootReader reader(&inner, "");
  reader.GetChildren2("/", [](Status, ChildrenResult) {});
  EXPECT_EQ(inner.paths, (std::vector<std::string>{"/"}));
}

TEST(ChrootReaderTest, FiltersAndStripsWatchEvents) {
  RecordingReader inner;
  ChrootReader reader(&inner, "/kafka");
  std::vector<WatchEvent> got;
  WatchSubscription sub = reader.SubscribeWatches([&](const WatchEvent& e) { got.push_back(e); });
  inner.listener({WatchEventType::kChildrenChanged, "/kafka/brokers", 1});
  inner.listener({WatchEventType::kDataChanged, "/kafka", 1});
  inner.listener({WatchEventType::kDataChanged, "/kafka2/x", 1});  // a sibling chroot: not ours
  inner.listener({WatchEventType::kDeleted, "/solr", 1});
  inner.listener({WatchEventType::kResync, "", 2});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, "/brokers");
  EXPECT_EQ(got[1].path, "/");
  EXPECT_EQ(got[2].type, WatchEventType::kResync);
  sub.Reset();
  EXPECT_FALSE(inner.listener);
}

}  // namespace
}  // namespace zkx::zk
