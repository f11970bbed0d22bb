// AuditAcls (see acl_audit.h): a counting window of GetAcl requests whose completions fold into a shared
// tally under a mutex; the calling thread only issues requests and waits for window space.
#include "zk/acl_audit.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <set>
#include <utility>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::zk {
namespace {

// Completions -> the auditing thread. Shared with every callback, so late completions stay harmless.
struct AuditState {
  Mutex mu;
  std::condition_variable_any cv;
  std::size_t outstanding GUARDED_BY(mu) = 0;
  AclTally tally GUARDED_BY(mu);
  bool stop GUARDED_BY(mu) = false;  // connection lost or session closing
};

}  // namespace

void TallyAcl(const std::vector<AclEntry>& acl, AclTally* tally) {
  bool readable = false;
  bool writable = false;
  std::set<std::string> schemes;
  for (const AclEntry& e : acl) {
    schemes.insert(e.scheme);
    if (e.scheme == "world" && e.id == "anyone") {
      readable = readable || (e.perms & kPermRead) != 0;
      writable = writable || (e.perms & kPermWrite) != 0;
    }
  }
  ++tally->audited;
  if (readable) ++tally->world_readable;
  if (writable) ++tally->world_writable;
  for (const std::string& s : schemes) ++tally->znodes_by_scheme[s];
}

AclTally AuditAcls(ZnodeReader& reader, const std::vector<std::string>& paths, std::size_t max_in_flight,
                   std::chrono::steady_clock::time_point deadline) {
  auto state = std::make_shared<AuditState>();
  const std::size_t window = std::max<std::size_t>(max_in_flight, 1);
  bool timed_out = false;
  for (const std::string& path : paths) {
    {
      MutexLock lock(state->mu);
      if (!state->cv.wait_until(state->mu, deadline, [&]() REQUIRES(state->mu) {
            return state->stop || state->outstanding < window;
          })) {
        timed_out = true;
        break;
      }
      if (state->stop) break;
      ++state->outstanding;
    }
    reader.GetAcl(path, [state](Status status, const std::vector<AclEntry>& acl, ZnodeStat /*stat*/) {
      MutexLock lock(state->mu);
      --state->outstanding;
      state->cv.notify_one();
      AclTally& t = state->tally;
      if (status.ok()) {
        try {
          TallyAcl(acl, &t);
        } catch (...) {
          ++t.errors;  // out of memory for a scheme name: count it, never throw into the reader
        }
        return;
      }
      switch (status.code()) {
        case StatusCode::kNotFound: ++t.no_node; break;
        case StatusCode::kPermissionDenied: ++t.no_auth; break;
        case StatusCode::kUnavailable:
        case StatusCode::kCancelled:
          if (t.status.ok()) t.status = std::move(status);
          state->stop = true;
          break;
        default: ++t.errors; break;
      }
    });
  }
  MutexLock lock(state->mu);
  if (!state->cv.wait_until(state->mu, deadline,
                            [&]() REQUIRES(state->mu) { return state->outstanding == 0; })) {
    timed_out = true;
  }
  AclTally result = state->tally;  // a copy: late completions may still update the shared one
  result.timed_out = timed_out;
  return result;
}

}  // namespace zkx::zk
