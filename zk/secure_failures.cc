#include "zk/secure_failures.h"

#include <atomic>
#include <optional>

#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::zk {
namespace {

std::array<std::atomic<uint64_t>, kSecurityFailureCount> g_failures{};
std::atomic<uint64_t> g_handshakes_ok{0};

Mutex g_last_mu;
// nullopt: no outcome yet; kSecurityFailureCount: the last outcome was a completed handshake.
std::optional<std::size_t> g_last GUARDED_BY(g_last_mu);

// True when `outcome` differs from the last one (and records it).
bool Changed(std::size_t outcome) {
  MutexLock lock(g_last_mu);
  if (g_last == outcome) return false;
  const bool had_failure = g_last.has_value() && *g_last != kSecurityFailureCount;
  g_last = outcome;
  return outcome != kSecurityFailureCount || had_failure;
}

}  // namespace

std::string_view SecurityFailureName(SecurityFailure failure) {
  switch (failure) {
    case SecurityFailure::kTlsHandshake: return "tls_handshake";
    case SecurityFailure::kUntrustedCertificate: return "untrusted_certificate";
    case SecurityFailure::kCertificateExpired: return "certificate_expired";
    case SecurityFailure::kHostnameMismatch: return "hostname_mismatch";
    case SecurityFailure::kSasl: return "sasl";
  }
  return "unknown";
}

void RecordSecurityFailure(SecurityFailure failure, const std::string& detail) {
  const auto index = static_cast<std::size_t>(failure);
  g_failures[index].fetch_add(1, std::memory_order_relaxed);
  try {
    if (Changed(index)) {
      spdlog::warn("zookeeper: connection refused, reason={}: {}", SecurityFailureName(failure), detail);
    }
  } catch (...) {
  }
}

void RecordTlsHandshakeOk(const std::string& peer) {
  g_handshakes_ok.fetch_add(1, std::memory_order_relaxed);
  try {
    if (Changed(kSecurityFailureCount)) {
      spdlog::info("zookeeper: TLS handshake with {} succeeded again", peer);
    }
  } catch (...) {
  }
}

SecurityFailureCounts GetSecurityFailureCounts() {
  SecurityFailureCounts counts;
  for (std::size_t i = 0; i < kSecurityFailureCount; ++i) {
    counts.failures[i] = g_failures[i].load(std::memory_order_relaxed);
  }
  counts.tls_handshakes_ok = g_handshakes_ok.load(std::memory_order_relaxed);
  return counts;
}

}  // namespace zkx::zk
