// scrape_memory_bench: the heap one /metrics scrape holds at its peak, with ~80,000 samples (10,000 znodes
// with per-znode series, the tree collector's families), three ways, measured in the same run:
//  - whole: every family built, then the whole text from prometheus-cpp's TextSerializer, then GzipCompress
//    (before issue 11);
//  - families, streamed: every family built, then serialised one family at a time, each freed once written
//    (issue 11's first step);
//  - built as text: what /metrics does now. The tree collector builds its families one at a time into a text
//    sink (collectors/family_sink.h), so only one family's samples exist at once; ExpositionResponse then
//    compresses or joins the text.
// The peak counts C++ heap allocations (operator new, replaced in this binary) from the moment the families
// are built. No thresholds: it prints figures and ratios.
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

#include "collectors/family_sink.h"
#include "collectors/tree_metrics.h"
#include "exporter/exposition_response.h"
#include "exporter/gzip.h"
#include "tests/bench/bench_flags.h"

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

// The peak heap of serve(), from a zero base, in MB.
template <typename F>
Peak Measure(F serve) {
  const long long base = g_live.load();
  g_peak.store(base);
  const std::size_t body = serve();
  return {static_cast<double>(g_peak.load() - base) / 1e6, body};
}

std::vector<prometheus::MetricFamily> AllFamilies(const std::vector<collectors::TreeEntry>& entries) {
  std::vector<prometheus::MetricFamily> families;
  collectors::BuildTreeFamilies(entries, &families);
  return families;
}

int Run(std::size_t znodes) {
  const auto entries = Entries(znodes);
  std::size_t samples = 0;
  for (const auto& f : AllFamilies(entries)) samples += f.metric.size();
  std::printf("scrape_memory_bench: %zu znodes with per-znode series, %zu samples\n", znodes, samples);
  const char* names[2] = {"plain", "gzip"};
  for (int gz = 0; gz < 2; ++gz) {
    const char* encoding = gz == 1 ? "gzip" : "";
    const Peak whole = Measure([&] {
      std::string body = prometheus::TextSerializer().Serialize(AllFamilies(entries));
      if (gz == 1) body = exporter::GzipCompress(body).value();
      return body.size();
    });
    const Peak streamed = Measure([&] {
      auto families = AllFamilies(entries);
      std::vector<std::string> pieces;
      for (auto& f : families) {
        pieces.push_back(collectors::FamilyText(std::move(f)));
        f = prometheus::MetricFamily();
      }
      return exporter::ExpositionResponse(std::move(pieces), encoding).body.size();
    });
    const Peak as_text = Measure([&] {
      std::vector<std::string> pieces;
      collectors::BuildTreeFamilies(entries, collectors::FamilySink(&pieces));
      return exporter::ExpositionResponse(std::move(pieces), encoding).body.size();
    });
    // The families alone: what a scrape held once the collectors had answered, before the text sink.
    const Peak held = Measure([&] { return AllFamilies(entries).size(); });
    std::printf(
        "%-5s peak heap: whole text %.1f MB (%zu bytes) | families, streamed %.1f MB (%zu bytes) | built as "
        "text %.1f MB (%zu bytes) | the families alone %.1f MB; built as text / whole %.2fx, / streamed "
        "%.2fx\n",
        names[gz], whole.mb, whole.body, streamed.mb, streamed.body, as_text.mb, as_text.body, held.mb,
        as_text.mb / whole.mb, as_text.mb / streamed.mb);
  }
  return 0;
}

}  // namespace
}  // namespace zkx

int main(int argc, char** argv) {
  std::size_t znodes = 10000;
  zkx::bench::BenchFlags flags(argc, argv);
  flags.Count("--znodes", znodes, 1, 10'000'000);
  if (!flags.Finish("usage: scrape_memory_bench [--znodes 10000]")) return 2;
  return zkx::Run(znodes);
}
