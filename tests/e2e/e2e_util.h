#pragma once
// Helpers shared by the fault-injection end-to-end tests (fault_flapping_test.cc, caps_memory_test.cc,
// reload_e2e_test.cc): a scoped temp dir, the exporter binary on a free loopback port, reading one sample out
// of an exposition, an independent znode count, and /proc figures of a child process.
// Header-only, test code; thread-safety: free functions without shared state; an E2eExporter is an
// ExporterProcess (one thread drives it; Get() may be called from any thread).

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>

#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test::e2e {

// A fresh directory under /tmp, removed with everything in it when the test ends (unless ZKX_KEEP_TEST_DIRS).
class ScopedTempDir {
 public:
  ScopedTempDir() {
    char tmpl[] = "/tmp/zkx-e2e-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    path_ = dir != nullptr ? dir : "";
  }
  ~ScopedTempDir() {
    if (!path_.empty() && std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& text) {
  // Write a sibling and rename it over the target, so the exporter never reads a half-written file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << text;
  }
  std::filesystem::rename(tmp, path);
}

// Znodes at and below `path`, listed one sync call at a time: the independent reference.
inline double CountZnodes(ZkTestClient& client, const std::string& path) {
  Result<std::vector<std::string>> children = client.GetChildren(path);
  if (!children.ok()) return 0;
  double n = 1;
  for (const auto& c : *children) n += CountZnodes(client, (path == "/" ? "" : path) + "/" + c);
  return n;
}

using ::zkx::test::SampleValue;  // tests/support/exposition.h

// Sample lines (not comments, not blank) in an exposition, and those whose name starts with `prefix`.
inline std::size_t CountSeries(const std::string& exposition, const std::string& prefix = "") {
  std::istringstream in(exposition);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

// Occurrences of `needle` in `haystack`.
inline std::size_t CountOf(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// Lines of `text` that contain `needle`.
inline std::vector<std::string> LinesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

// /proc figures of a live process.
struct ProcFigures {
  long rss_kb = -1;  // VmRSS from /proc/<pid>/status
  int fds = -1;      // entries of /proc/<pid>/fd
};

inline ProcFigures ReadProcFigures(pid_t pid) {
  ProcFigures f;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str()); d != nullptr) {
    f.fds = 0;
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++f.fds;
    }
    closedir(d);
  }
  return f;
}

// The zookeeper_exporter binary (this target's ZKX_EXPORTER_BIN) on a free loopback port, its output in
// <dir>/<log_name>: a test::ExporterProcess (tests/support/exporter_process.h) whose failure to start fails
// the test.
class E2eExporter : public ExporterProcess {
 public:
  E2eExporter(const std::string& dir, std::vector<std::string> extra_args,
              const std::string& log_name = "exporter.log")
      : ExporterProcess(ZKX_EXPORTER_BIN, std::move(extra_args), dir + "/" + log_name) {
    EXPECT_TRUE(status().ok()) << status().ToString();
  }
};

}  // namespace zkx::test::e2e
