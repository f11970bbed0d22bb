#pragma once
// The `dirs` command: how many bytes a server's snapshot and transaction-log directories hold (ZooKeeper
// 3.5.1+), from the AdminServer (GET /commands/dirs: {"datadir_size": N, "logdir_size": N, "command": "dirs",
// "error": null}) or the four-letter word ("datadir_size: N\nlogdir_size: N\n"; needs the whitelist).
//
// ZOOKEEPER-4703 / ZOOKEEPER-4730: from 3.5.1 until the fix, ZooKeeperServer.getDataDirSize() measured
// FileTxnSnapLog's dataDir field, which is the transaction-log directory, and getLogDirSize() the snapshot
// directory, so `datadir_size` carried the transaction logs and `logdir_size` the snapshots. Fixed in 3.8.4
// (apache/zookeeper b8eb6a3), 3.9.2 (ebe136e) and everything after (master 5f66da1, 1fa72b0). Seen here on
// Debian's 3.8.0: datadir_size 0 and logdir_size 457 for a 457-byte snapshot.0 and an empty log directory.
// DirSizesFor undoes the swap by the version the server reports; without a known version the two sizes
// cannot be told apart and are not used.
// Pure functions; never throw (fuzzed with the AdminServer parsers' corpus shape in mind).

#include <optional>
#include <string_view>

#include "base/status.h"

namespace zkx::server {

// The reply as sent (names as ZooKeeper spells them).
struct DirsReply {
  double datadir_size = 0;
  double logdir_size = 0;
};

// What the directories hold, whatever the version.
struct DirSizes {
  double snapshot_bytes = 0;  // dataDir/version-2: snapshots
  double txn_log_bytes = 0;   // dataLogDir/version-2 (dataDir when not set): transaction logs
};

Result<DirsReply> ParseAdminDirs(std::string_view json);
Result<DirsReply> ParseDirsWord(std::string_view text);

// True for the versions that swap the two sizes: 3.5.1 up to 3.8.3, and 3.9.0 to 3.9.1. `version` is the
// server's version string ("3.8.0-<commit>, built on ..."); nullopt when it is not "major.minor.patch...".
std::optional<bool> DirsSwapped(std::string_view version);

// The sizes `reply` stands for on a server of `version`; nullopt when the version is unknown.
std::optional<DirSizes> DirSizesFor(const DirsReply& reply, std::string_view version);

}  // namespace zkx::server
