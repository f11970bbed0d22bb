// Maps ZOO_ERRORS return codes to zkx::Status (see zk_errors.h).
#include "zk/zk_errors.h"

#include <string>

#include <zookeeper/zookeeper.h>

namespace zkx::zk {

Status ZkErrorToStatus(int rc, std::string_view path) {
  if (rc == ZOK) return Status::Ok();
  std::string message = std::string(zerror(rc)) + " (rc=" + std::to_string(rc) + ") on " + std::string(path);
  switch (rc) {
    case ZNONODE: return Status::NotFound(std::move(message));
    case ZNODEEXISTS: return Status::AlreadyExists(std::move(message));
    case ZBADVERSION:
    case ZNOTEMPTY:
    case ZNOCHILDRENFOREPHEMERALS: return Status::FailedPrecondition(std::move(message));
    case ZBADARGUMENTS:
    case ZINVALIDACL: return Status::InvalidArgument(std::move(message));
    case ZNOAUTH: return Status::PermissionDenied(std::move(message));
    case ZAUTHFAILED: return Status::Unauthenticated(std::move(message));
    case ZCONNECTIONLOSS:
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
    case ZOPERATIONTIMEOUT: return Status::Unavailable(std::move(message));
    case ZCLOSING: return Status::Cancelled(std::move(message));
    default: return Status::Internal(std::move(message));
  }
}

}  // namespace zkx::zk
