#pragma once
// The session's security outcomes as metric families, built at scrape time from
// zk::GetSecurityFailureCounts():
//   zookeeper_session_security_failures_total{reason}  connections refused, by reason (zk/secure_failures.h:
//       tls_handshake, untrusted_certificate, certificate_expired, hostname_mismatch, sasl); every reason is
//       always present, so a rate() alert works from the first scrape
//   zookeeper_session_tls_handshakes_total             TLS handshakes with the ensemble that completed

#include <vector>

#include <prometheus/metric_family.h>

#include "zk/secure_failures.h"

namespace zkx::collectors {

std::vector<prometheus::MetricFamily> BuildSecurityFailureFamilies(const zk::SecurityFailureCounts& counts);

}  // namespace zkx::collectors
