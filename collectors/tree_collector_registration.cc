// The tree collector's registration (collectors/registry.h), kept out of tree_collector.cc. Its subtrees come
// from --tree.root / --config.file and its watch budget from --zookeeper.max-watch-bytes: the exporter's
// configuration, shared with the multi-target modules, so the context carries them rather than flags of its
// own.
#include <memory>

#include "collectors/registry.h"
#include "collectors/tree_collector.h"
#include "zk/session.h"

namespace zkx::collectors {
namespace {

CollectorInfo TreeCollectorInfo() {
  CollectorInfo info;
  info.name = "tree";
  info.per_target = true;
  info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> {
    zk::Session* s = c.session;
    auto tree = std::make_shared<TreeCollector>(
        c.reader, [s] { return s->Connected(); }, c.max_watch_bytes, c.chroot_length, c.walk_threads,
        c.watch);
    tree->Configure(c.subtrees);
    return BuiltCollector{tree, [tree] { tree->Stop(); }};  // joins the refreshers: none reads after it
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(tree, zkx::collectors::TreeCollectorInfo)
