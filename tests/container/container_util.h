#pragma once
// Helpers for tests/container: podman as this machine runs it (runc with cgroupfs, rlimits below the host's
// hard limits; see scripts/container-images.sh), programs run with a deadline, files and temporary
// directories. The images come from scripts/container-images.sh (ctest runs it once, as the fixture
// `container_images`, before every container test).
//
// Thread-safety: free functions without shared state; ScopedContainer / ScopedPod are driven by one thread.
#include <chrono>
#include <string>
#include <vector>

namespace zkx::test::container {

// The images scripts/container-images.sh builds.
inline constexpr const char* kExporterImage = "localhost/zookeeper-exporter:test";
inline constexpr const char* kZooKeeperImage = "localhost/zookeeper-debian:test";

struct Output {
  int exit_code = -1;  // 128 + signal when killed; -1 when it could not start or ran past its deadline
  std::string text;    // stdout and stderr, interleaved; then "[killed: still running after N s]" if it was
};

// Runs argv (argv[0] an absolute path; no shell) and waits up to `timeout`; past it the program is killed.
Output Run(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(60));

// podman with this machine's runtime flags and tests/container/containers.conf (CONTAINERS_CONF), then
// `args`.
Output Podman(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60));
// The flags `podman run` needs here: rlimits at or below the host's hard limits.
std::vector<std::string> RunLimits();

// A fresh directory under /tmp (mkdtemp), removed by RemoveTree unless ZKX_KEEP_TEST_DIRS is set.
std::string TempDir(const std::string& prefix);
void RemoveTree(const std::string& dir);
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);
// ZKX_SOURCE_DIR + "/" + relative.
std::string SourcePath(const std::string& relative);

// `podman rm -f` of a container (name or id) when it goes out of scope.
class ScopedContainer {
 public:
  explicit ScopedContainer(std::string name) : name_(std::move(name)) {}
  ~ScopedContainer();
  ScopedContainer(const ScopedContainer&) = delete;
  ScopedContainer& operator=(const ScopedContainer&) = delete;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// `podman pod rm -f` of a pod when it goes out of scope.
class ScopedPod {
 public:
  explicit ScopedPod(std::string name) : name_(std::move(name)) {}
  ~ScopedPod();
  ScopedPod(const ScopedPod&) = delete;
  ScopedPod& operator=(const ScopedPod&) = delete;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// `podman inspect --format <format> <name>`, trimmed; empty on failure.
std::string Inspect(const std::string& name, const std::string& format);

}  // namespace zkx::test::container
