#pragma once
// Small helpers to build prometheus::MetricFamily values at scrape time.
// Families are plain values: build them from immutable snapshots, hand them to the serializer, drop them.

#include <chrono>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

namespace zkx::collectors {

using Label = prometheus::ClientMetric::Label;

// A family with no samples yet. `type` is Gauge, Counter or Untyped.
prometheus::MetricFamily MakeFamily(std::string name, std::string help, prometheus::MetricType type);

// Appends one sample; the value goes to the field that matches the family's type.
void AddSample(prometheus::MetricFamily* family, double value, std::vector<Label> labels = {});

// Seconds since the Unix epoch, as Prometheus' *_timestamp_seconds metrics want.
double ToUnixSeconds(std::chrono::system_clock::time_point t);

}  // namespace zkx::collectors
