// scrape_memory_bench: the heap one /metrics scrape holds at its peak, with ~80,000 samples (10,000 znodes
// with per-znode series, the tree collector's families), serialised the way it was before streaming (the
// whole text from prometheus-cpp's TextSerializer, then GzipCompress) and the way ExpositionResponse does it
// now (family by family, freed as written, gzip fed per family), measured in the same run. The peak counts
// C++ heap allocations (operator new, replaced in this binary) from the moment the families are built. No
// thresholds: it prints figures and ratios.
//
//   cmake --build build/ci --target scrape_memory_bench && build/ci/tests/bench/scrape_memory_bench [--znodes
//   10000]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <malloc.h>
#include <prometheus/text_serializer.h>

#include "collectors/tree_metrics.h"
#include "exporter/exposition_response.h"
#include "exporter/gzip.h"

namespace {

std::atomic<long long> g_live{0};
std::atomic<long long> g_peak{0};

void Count(long long delta) {
  const long long now = g_live.fetch_add(delta) + delta;
  long long peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  Count(static_cast<long long>(malloc_usable_size(p)));
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  Count(-static_cast<long long>(malloc_usable_size(p)));
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  operator delete(p);
}

namespace zkx {
namespace {

std::vector<collectors::TreeEntry> Entries(std::size_t znodes) {
  collectors::SubtreeSnapshot s;
  s.root = "/bench";
  s.root_exists = true;
  s.znodes = znodes;
  for (std::size_t i = 0; i < znodes; ++i) {
    collectors::ZnodeSample z;
    z.path = "/bench/service-" + std::to_string(i / 100) + "/instance-" + std::to_string(i);
    z.stat.version = static_cast<int32_t>(i % 17);
    z.stat.data_length = static_cast<int32_t>(i % 300);
    z.stat.num_children = static_cast<int32_t>(i % 3);
    z.stat.ctime_ms = 1700000000000 + static_cast<int64_t>(i);
    z.stat.mtime_ms = 1700000000000 + static_cast<int64_t>(i);
    s.znode_samples.push_back(std::move(z));
  }
  auto view = std::make_shared<collectors::SubtreeView>();
  view->last_success = std::make_shared<const collectors::SubtreeSnapshot>(std::move(s));
  return {collectors::TreeEntry{"/bench", std::chrono::milliseconds(30000), view}};
}

struct Peak {
  double mb = 0;
  std::size_t body = 0;
};

template <typename F>
Peak Measure(const std::vector<collectors::TreeEntry>& entries, std::size_t* samples, F serve) {
  const long long base = g_live.load();
  g_peak.store(base);
  std::vector<prometheus::MetricFamily> families = collectors::BuildTreeFamilies(entries);
  *samples = 0;
  for (const auto& f : families) *samples += f.metric.size();
  const std::size_t body = serve(std::move(families));
  return {static_cast<double>(g_peak.load() - base) / 1e6, body};
}

int Run(std::size_t znodes) {
  const auto entries = Entries(znodes);
  std::size_t samples = 0;
  std::printf("scrape_memory_bench: %zu znodes with per-znode series\n", znodes);
  const char* names[2] = {"plain", "gzip"};
  for (int gz = 0; gz < 2; ++gz) {
    const Peak before = Measure(entries, &samples, [&](std::vector<prometheus::MetricFamily> families) {
      std::string body = prometheus::TextSerializer().Serialize(families);
      if (gz == 1) body = exporter::GzipCompress(body).value();
      return body.size();
    });
    const Peak after = Measure(entries, &samples, [&](std::vector<prometheus::MetricFamily> families) {
      return exporter::ExpositionResponse(std::move(families), gz == 1 ? "gzip" : "").body.size();
    });
    // The families alone: what any scrape holds once the collectors have answered.
    const Peak held =
        Measure(entries, &samples, [](std::vector<prometheus::MetricFamily> f) { return f.size(); });
    std::printf(
        "%-5s %zu samples: peak heap %.1f MB whole text (%zu bytes) -> %.1f MB streamed (%zu bytes): %.2fx; "
        "the families alone %.1f MB\n",
        names[gz], samples, before.mb, before.body, after.mb, after.body, after.mb / before.mb, held.mb);
  }
  return 0;
}

}  // namespace
}  // namespace zkx

int main(int argc, char** argv) {
  std::size_t znodes = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--znodes") znodes = std::strtoul(argv[i + 1], nullptr, 10);
  }
  return zkx::Run(znodes);
}
