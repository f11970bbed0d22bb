#include "tests/deploy/deploy_test_util.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "tests/support/child_process.h"

namespace zkx::test::deploy {

std::string SourcePath(const std::string& relative) {
  return std::string(ZKX_SOURCE_DIR) + "/" + relative;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TempDir() {
  char tmpl[] = "/tmp/zkx-deploy-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir != nullptr ? dir : "/tmp";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  static int counter = 0;
  const std::string log =
      "/tmp/zkx-deploy-command-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  CommandResult r;
  {
    Result<ChildProcess> p = ChildProcess::Start(argv, log);
    if (!p.ok()) return r;
    std::optional<int> code = p->WaitExit(std::chrono::milliseconds(30000));
    r.exit_code = code.value_or(-1);
    r.output = p->Log();
  }
  std::filesystem::remove(log);
  return r;
}

std::vector<std::string> SplitWhitespace(const std::string& text) {
  std::istringstream in(text);
  return {std::istream_iterator<std::string>(in), {}};
}

std::set<std::string> MetricNamesInPromQL(const std::string& expr, const std::vector<std::string>& prefixes) {
  // Strings, then label matchers, then grouping clauses: what is left are metric names, functions, keywords.
  std::string e = std::regex_replace(expr, std::regex(R"("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"), "\"\"");
  e = std::regex_replace(e, std::regex(R"(\{[^}]*\})"), " ");
  e = std::regex_replace(e, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"),
                         " ");
  std::set<std::string> names;
  const std::regex ident(R"([A-Za-z_:][A-Za-z0-9_:]*)");
  for (auto it = std::sregex_iterator(e.begin(), e.end(), ident); it != std::sregex_iterator(); ++it) {
    const std::string name = it->str();
    if (name.find(':') != std::string::npos) continue;  // recording rules
    for (const auto& p : prefixes) {
      if (name.rfind(p, 0) == 0) names.insert(name);
    }
  }
  return names;
}

namespace {

std::vector<std::string> SplitRow(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Candidates for an abbreviation `abbr` written after the full name `full`.
std::vector<std::string> ExpandAbbreviation(const std::string& full, const std::string& abbr) {
  std::vector<std::string> out;
  if (abbr.size() > 2 && abbr.back() == '_') {
    // "_avg_": replace one "_segment_" of the full name.
    for (std::size_t b = full.find('_'); b != std::string::npos; b = full.find('_', b + 1)) {
      const std::size_t e = full.find('_', b + 1);
      if (e == std::string::npos) break;
      out.push_back(full.substr(0, b) + abbr + full.substr(e + 1));
    }
  } else {
    // "_watches": replace the suffix from some underscore on.
    for (std::size_t b = full.find('_'); b != std::string::npos; b = full.find('_', b + 1)) {
      out.push_back(full.substr(0, b) + abbr);
    }
  }
  return out;
}

}  // namespace

DocumentedMetrics ParseReadmeMetrics(const std::string& readme) {
  DocumentedMetrics docs;
  const std::size_t begin = readme.find("\n## Metrics");
  if (begin == std::string::npos) return docs;
  const std::size_t end = readme.find("\n## ", begin + 1);
  std::istringstream in(readme.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
  const std::regex code("`([^`]+)`");
  std::string line;
  bool type_column = false;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string first = line;
    std::string type;
    if (!line.empty() && line[0] == '|') {
      cells = SplitRow(line);
      if (cells.size() >= 2 && Trim(cells[0]) == "metric") {
        type_column = Trim(cells[1]) == "type";
        continue;
      }
      first = cells.empty() ? "" : cells[0];
      if (type_column && cells.size() >= 2) type = Trim(cells[1]);
      if (type != "gauge" && type != "counter") type.clear();
    }
    // Names in the first cell of a table row (or anywhere in a prose line).
    std::string last_full;
    for (auto it = std::sregex_iterator(first.begin(), first.end(), code); it != std::sregex_iterator();
         ++it) {
      std::string token = (*it)[1].str();
      token = token.substr(0, token.find('{'));
      if (token.rfind("zookeeper_", 0) == 0 || token.rfind("process_", 0) == 0) {
        if (token.back() == '*') {
          docs.prefixes.push_back(token.substr(0, token.size() - 1));
          continue;
        }
        docs.names.insert(token);
        if (!type.empty()) docs.types[token] = type;
        last_full = token;
      } else if (token.size() > 1 && token[0] == '_' && !last_full.empty() &&
                 token.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos) {
        std::vector<std::string> candidates = ExpandAbbreviation(last_full, token);
        if (!type.empty()) docs.abbreviation_types.emplace_back(candidates, type);
        docs.abbreviations.push_back(std::move(candidates));
      }
    }
  }
  return docs;
}

bool IsDocumented(const DocumentedMetrics& docs, const std::string& name) {
  if (docs.names.count(name) > 0) return true;
  for (const auto& p : docs.prefixes) {
    if (name.rfind(p, 0) == 0) return true;
  }
  for (const auto& candidates : docs.abbreviations) {
    for (const auto& c : candidates) {
      if (c == name) return true;
    }
  }
  return false;
}

}  // namespace zkx::test::deploy
