// XidBudget (see xid_budget.h).
#include "zk/xid_budget.h"

#include <ctime>

namespace zkx::zk {
namespace {

uint64_t Distance(int32_t first_xid) {
  // Steps from first_xid up to kFirstSpecialXid in int32 arithmetic that wraps: modulo 2^32.
  return static_cast<uint32_t>(static_cast<uint32_t>(XidBudget::kFirstSpecialXid) -
                               static_cast<uint32_t>(first_xid));
}

}  // namespace

XidBudget::XidBudget(int32_t first_xid, uint64_t margin) : distance_(Distance(first_xid)), margin_(margin) {}

uint64_t XidBudget::Remaining() const {
  const uint64_t issued = Issued();
  return issued >= distance_ ? 0 : distance_ - issued;
}

XidBudget& ProcessXidBudget() {
  static XidBudget budget(static_cast<int32_t>(std::time(nullptr)) + 1);
  return budget;
}

}  // namespace zkx::zk
