#pragma once
// FamilySink: where a collector puts the metric families it builds at a scrape.
//
// Two kinds, chosen by whoever runs the collector:
//  - over a vector: the families are kept as they are (unit tests, callers that read values);
//  - over text pieces: each family is serialised in the text format 0.0.4 the moment it is added, as a
//    piece of its own, and dropped. A scrape then holds its text so far plus the one family being built, not
//    every sample at once: a sample costs about 400 bytes as a prometheus::ClientMetric and about 90 as text
//    (issue 11, scrape memory; tests/bench/scrape_memory_bench measures it). One piece per family, not one
//    growing string: a string that doubles holds twice the text, and three times while it moves.
// A collector with many samples (the tree collector's per-znode series) builds and adds one family at a
// time to profit from the second kind; the order of Add() calls is the exposition order.
//
// A sink is a small value (one pointer) passed by value. It does not own its target, which outlives it.
// Not thread-safe: one collector task adds to a sink at a time.

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace zkx::collectors {

class FamilySink {
 public:
  // Keeps the families in *families (appended in Add() order).
  FamilySink(std::vector<prometheus::MetricFamily>* families);  // NOLINT(google-explicit-constructor)
  // Appends each family's text to *pieces, one piece per family.
  explicit FamilySink(std::vector<std::string>* pieces);

  void Add(prometheus::MetricFamily family) const;

 private:
  std::vector<prometheus::MetricFamily>* families_ = nullptr;
  std::vector<std::string>* pieces_ = nullptr;
};

// The text format of `family`: exactly what prometheus-cpp's TextSerializer writes for it.
std::string FamilyText(prometheus::MetricFamily family);

}  // namespace zkx::collectors
