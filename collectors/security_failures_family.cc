#include "collectors/security_failures_family.h"

#include <string>

#include "collectors/family_builder.h"

namespace zkx::collectors {

std::vector<prometheus::MetricFamily> BuildSecurityFailureFamilies(const zk::SecurityFailureCounts& counts) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  auto failures =
      MakeFamily("zookeeper_session_security_failures_total",
                 "Connections to the ensemble refused for a security reason: a TLS handshake failure, "
                 "an untrusted, expired or misnamed server certificate, or a SASL failure.",
                 MetricType::Counter);
  for (zk::SecurityFailure f : zk::kAllSecurityFailures) {
    AddSample(&failures, static_cast<double>(counts.failures[static_cast<std::size_t>(f)]),
              {{"reason", std::string(zk::SecurityFailureName(f))}});
  }
  out.push_back(std::move(failures));
  auto ok = MakeFamily("zookeeper_session_tls_handshakes_total",
                       "TLS handshakes with the ensemble that completed.", MetricType::Counter);
  AddSample(&ok, static_cast<double>(counts.tls_handshakes_ok));
  out.push_back(std::move(ok));
  return out;
}

}  // namespace zkx::collectors
