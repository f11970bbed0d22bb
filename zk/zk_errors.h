#pragma once
// Internal to zk/: maps the C client's ZOO_ERRORS codes to zkx::Status. Not part of the public API.

#include <string_view>

#include "base/status.h"

namespace zkx::zk {

// Maps a request's return code (a ZOO_ERRORS value) for `path` to a Status:
//   ZOK -> OK; ZNONODE -> kNotFound; ZNODEEXISTS -> kAlreadyExists;
//   ZBADVERSION / ZNOTEMPTY / ZNOCHILDRENFOREPHEMERALS -> kFailedPrecondition;
//   ZBADARGUMENTS / ZINVALIDACL -> kInvalidArgument; ZNOAUTH -> kPermissionDenied; ZAUTHFAILED ->
//   kUnauthenticated; ZCONNECTIONLOSS / ZSESSIONEXPIRED / ZINVALIDSTATE / ZOPERATIONTIMEOUT -> kUnavailable;
//   ZCLOSING -> kCancelled; anything else -> kInternal.
// The message holds zerror(rc), the code and the path; never credentials.
Status ZkErrorToStatus(int rc, std::string_view path);

}  // namespace zkx::zk
