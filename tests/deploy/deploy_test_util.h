#pragma once
// Helpers for the deploy/ tests: files of the source tree, running a program and capturing its output,
// metric names in PromQL, and README.md's metric reference. Thread-safety: free functions without shared
// state.

#include <map>
#include <set>
#include <string>
#include <vector>

namespace zkx::test::deploy {

// ZKX_SOURCE_DIR + "/" + relative.
std::string SourcePath(const std::string& relative);
// The whole file; an empty string if it cannot be read (tests then fail on what they look for).
std::string ReadFile(const std::string& path);
// A fresh directory under /tmp (mkdtemp).
std::string TempDir();
void WriteFile(const std::string& path, const std::string& text);

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed, -1 when it could not run or timed out
  std::string output;  // stdout and stderr, interleaved
};
// Runs argv (argv[0] an absolute path; no shell) and waits up to 30 s.
CommandResult RunCommand(const std::vector<std::string>& argv);

// Metric names a PromQL expression selects: identifiers outside label matchers, strings and grouping
// clauses (by, without, on, ignoring, group_left, group_right) that start with one of `prefixes`.
std::set<std::string> MetricNamesInPromQL(const std::string& expr,
                                          const std::vector<std::string>& prefixes = {"zookeeper_",
                                                                                      "process_"});

// README.md's "## Metrics" section: names in backticks that start with "zookeeper_" or "process_" (labels in
// braces dropped). "process_*" documents a prefix. A name abbreviated after a full one on the same table row
// ("`zookeeper_server_znodes`, `_watches`" or "`zookeeper_server_min_latency_seconds`, `_avg_`") expands to
// candidates: `_x` replaces a suffix of the full name starting at an underscore, `_x_` one segment.
struct DocumentedMetrics {
  std::set<std::string> names;                          // written out in full
  std::vector<std::string> prefixes;                    // "process_" for "process_*"
  std::vector<std::vector<std::string>> abbreviations;  // candidates of each abbreviation
  std::map<std::string, std::string> types;             // name -> "gauge"/"counter" where a type column says
  std::vector<std::pair<std::vector<std::string>, std::string>> abbreviation_types;  // candidates -> type
};
DocumentedMetrics ParseReadmeMetrics(const std::string& readme);
// True if `name` is written out, matches a prefix, or is a candidate of an abbreviation.
bool IsDocumented(const DocumentedMetrics& docs, const std::string& name);

// Splits on runs of whitespace.
std::vector<std::string> SplitWhitespace(const std::string& text);

}  // namespace zkx::test::deploy
