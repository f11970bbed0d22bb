#pragma once
// WatchSessions: where watch-mode subtrees keep their watches. A reader whose watched reads may be spread
// over several ZooKeeper sessions (zk::WatchShards, --zookeeper.watch-sessions) and whether every one of
// those sessions is connected (a full sync needs them all). Empty (the default): the subtree's own reader and
// connected check, one session. Plain value; the reader must outlive whoever is given it.

#include <functional>

#include "zk/znode_reader.h"

namespace zkx::collectors {

struct WatchSessions {
  zk::ZnodeReader* reader = nullptr;  // null: the refresher's own reader
  std::function<bool()> connected;    // null: the refresher's own connected check
};

}  // namespace zkx::collectors
