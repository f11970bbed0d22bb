#include "collectors/process_collector.h"

#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "collectors/family_builder.h"
#include "collectors/registry.h"

namespace zkx::collectors {
namespace {

struct ProcStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;  // since boot
  double vsize_bytes = 0;
  double rss_pages = 0;
  double threads = 0;
};

bool ReadProcStat(ProcStat* out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  // The command name (field 2) may contain spaces: parse after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  // Fields from 3 (state) onwards; we want 14 utime, 15 stime, 20 num_threads, 22 starttime, 23 vsize, 24
  // rss.
  for (int i = 3; i <= 24 && fields >> f; ++i) {
    const double v = (i == 3) ? 0 : std::strtod(f.c_str(), nullptr);
    switch (i) {
      case 14: out->utime_ticks = v; break;
      case 15: out->stime_ticks = v; break;
      case 20: out->threads = v; break;
      case 22: out->start_ticks = v; break;
      case 23: out->vsize_bytes = v; break;
      case 24: out->rss_pages = v; break;
      default: break;
    }
  }
  return true;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  double n = 0;
  while (const dirent* e = readdir(dir)) {  // NOLINT(concurrency-mt-unsafe): this DIR* is ours alone
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

Status ProcessCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/, FamilySink out) {
  ProcStat st;
  if (!ReadProcStat(&st)) return Status::Internal("cannot read /proc/self/stat");
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  using prometheus::MetricType;
  auto add = [&](const char* name, const char* help, MetricType type, double value) {
    auto f = MakeFamily(name, help, type);
    AddSample(&f, value);
    out.Add(std::move(f));
  };
  add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::Counter,
      (st.utime_ticks + st.stime_ticks) / ticks);
  add("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
      st.rss_pages * page);
  add("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, st.vsize_bytes);
  add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      MetricType::Gauge, BootTimeSeconds() + st.start_ticks / ticks);
  add("process_threads", "Number of OS threads in the process.", MetricType::Gauge, st.threads);
  const double fds = OpenFds();
  if (fds >= 0) add("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    add("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
        static_cast<double>(limit.rlim_cur));
  }
  return Status::Ok();
}

}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

CollectorInfo ProcessCollectorInfo() {
  CollectorInfo info;
  info.name = "process";
  info.factory = [](const CollectorContext&) -> Result<BuiltCollector> {
    return BuiltCollector{std::make_shared<ProcessCollector>(), nullptr};
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(process, zkx::collectors::ProcessCollectorInfo)
