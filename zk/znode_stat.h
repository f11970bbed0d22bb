#pragma once
// ZnodeStat: our copy of a znode's Stat, so that nothing above zk/ includes <zookeeper/zookeeper.h>.

#include <cstdint>

namespace zkx::zk {

struct ZnodeStat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int64_t ctime_ms = 0;         // creation time, milliseconds since the Unix epoch
  int64_t mtime_ms = 0;         // last data change, milliseconds since the Unix epoch
  int32_t version = 0;          // data version
  int32_t cversion = 0;         // children version
  int32_t aversion = 0;         // ACL version
  int64_t ephemeral_owner = 0;  // owner session id; 0 for a persistent znode
  int32_t data_length = 0;
  int32_t num_children = 0;

  [[nodiscard]] bool ephemeral() const { return ephemeral_owner != 0; }
  friend bool operator==(const ZnodeStat&, const ZnodeStat&) = default;
};

}  // namespace zkx::zk
