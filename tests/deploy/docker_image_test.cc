// deploy/docker/Dockerfile: no Docker engine runs here, so the test checks what decides whether the image
// works: the runtime stage installs exactly the Debian packages that provide the shared libraries the binary
// loads
// (`ldd` on every file `cmake --install` installs, then `dpkg -S`: this machine is Debian 12 like the image),
// it copies every installed file, and the build stage runs CI's own steps.
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

struct Instruction {
  std::string op;    // "FROM", "RUN", ...
  std::string args;  // continuation lines joined
};
struct Stage {
  std::string from;
  std::vector<Instruction> instructions;
};

std::vector<Stage> ParseDockerfile(const std::string& text) {
  std::vector<Stage> stages;
  std::istringstream in(text);
  std::string line, logical;
  auto flush = [&] {
    const std::size_t b = logical.find_first_not_of(" \t");
    if (b == std::string::npos) return;
    const std::string l = logical.substr(b);
    const std::size_t sp = l.find(' ');
    Instruction ins{l.substr(0, sp), sp == std::string::npos ? "" : l.substr(sp + 1)};
    if (ins.op == "FROM") {
      stages.push_back(Stage{SplitWhitespace(ins.args).at(0), {}});
    } else if (!stages.empty()) {
      stages.back().instructions.push_back(ins);
    }
  };
  while (std::getline(in, line)) {
    const std::size_t b = line.find_first_not_of(" \t");
    if (b != std::string::npos && line[b] == '#') continue;  // comments (also inside continuations)
    if (!line.empty() && line.back() == '\\') {
      logical += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    logical += line;
    flush();
    logical.clear();
  }
  return stages;
}

std::vector<std::string> Runs(const Stage& s) {
  std::vector<std::string> out;
  for (const auto& i : s.instructions) {
    if (i.op == "RUN") out.push_back(i.args);
  }
  return out;
}

std::string Normalize(const std::string& command) {
  std::string out;
  for (const auto& w : SplitWhitespace(command)) out += (out.empty() ? "" : " ") + w;
  return out;
}

const std::vector<Stage>& Stages() {
  static const std::vector<Stage> stages = ParseDockerfile(ReadFile(SourcePath("deploy/docker/Dockerfile")));
  return stages;
}

// The Debian package that owns `path` (usrmerge: try the path, its real path, and the /usr twin).
std::string OwningPackage(const std::string& path) {
  std::vector<std::string> tries = {path, std::filesystem::weakly_canonical(path).string()};
  for (const auto& t : std::vector<std::string>(tries)) {
    tries.push_back(t.rfind("/usr/", 0) == 0 ? t.substr(4) : "/usr" + t);
  }
  for (const auto& t : tries) {
    const CommandResult r = RunCommand({"/usr/bin/dpkg", "-S", t});
    if (r.exit_code == 0) {
      std::string pkg = r.output.substr(0, r.output.find(':'));
      return pkg;
    }
  }
  return "";
}

// What `cmake --install` puts under a fresh prefix: paths relative to it ("bin/zookeeper_exporter", ...).
std::vector<std::string> InstalledFiles(const std::string& prefix) {
  const CommandResult r = RunCommand({ZKX_CMAKE_COMMAND, "--install", ZKX_BINARY_DIR, "--prefix", prefix});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(prefix)) {
    if (f.is_regular_file()) out.push_back(std::filesystem::relative(f.path(), prefix).string());
  }
  return out;
}

// COPY --from=build <src> <dst> of the runtime stage.
std::vector<std::pair<std::string, std::string>> CopiesFromBuild() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& i : Stages().back().instructions) {
    const std::vector<std::string> w = SplitWhitespace(i.args);
    if (i.op == "COPY" && w.size() == 3 && w[0] == "--from=build") out.emplace_back(w[1], w[2]);
  }
  return out;
}

TEST(DockerImageTest, RuntimeStageCopiesEveryInstalledFileAndInstallsExactlyTheirLibrariesPackages) {
#ifdef ZKX_SANITIZED_BUILD
  GTEST_SKIP() << "sanitizer build: its binary links the sanitizer runtime, which the image does not ship";
#endif
  ASSERT_EQ(Stages().size(), 2U);
  const std::string root = TempDir();
  const std::string prefix = root + "/usr/local";
  const std::vector<std::string> files = InstalledFiles(prefix);
  ASSERT_FALSE(files.empty());

  // Every installed file reaches the same place in the image (the build stage installs under /usr/local).
  for (const auto& f : files) {
    const std::string path = "/usr/local/" + f;
    bool copied = false;
    for (const auto& [src, dst] : CopiesFromBuild()) {
      copied |= src == path && dst == path;
      copied |= src.back() == '/' && src == dst && path.rfind(src, 0) == 0;
    }
    EXPECT_TRUE(copied) << path << " is installed but not copied into the runtime stage";
  }

  // The packages that provide what `ldd` lists for each installed file (the binary, and the libraries it
  // loads).
  std::set<std::string> needed;
  const std::regex lib(R"((/\S+\.so[.0-9]*))");
  for (const auto& f : files) {
    const CommandResult ldd = RunCommand({"/usr/bin/ldd", prefix + "/" + f});
    EXPECT_EQ(ldd.exit_code, 0) << f << ": " << ldd.output;
    for (auto it = std::sregex_iterator(ldd.output.begin(), ldd.output.end(), lib);
         it != std::sregex_iterator(); ++it) {
      const std::string pkg = OwningPackage((*it)[1]);
      EXPECT_FALSE(pkg.empty()) << "no Debian package provides " << (*it)[1] << " (needed by " << f << ")";
      if (!pkg.empty()) needed.insert(pkg);
    }
  }
  std::filesystem::remove_all(root);
  ASSERT_GE(needed.size(), 5U);

  std::set<std::string> installed;
  for (const auto& run : Runs(Stages().back())) {
    const std::vector<std::string> words = SplitWhitespace(run);
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] != "apt-get" || words[i + 1] != "install") continue;
      for (std::size_t j = i + 2; j < words.size() && words[j] != "&&"; ++j) {
        if (words[j][0] != '-') installed.insert(words[j]);
      }
    }
  }
  EXPECT_EQ(installed, needed)
      << "the runtime stage must install the packages `ldd` + `dpkg -S` name, no more";
}

TEST(DockerImageTest, BuildStageRunsTheStepsCiRuns) {
  ASSERT_EQ(Stages().size(), 2U);
  EXPECT_EQ(Stages()[0].from, "debian:12");
  EXPECT_EQ(Stages()[1].from, "debian:12-slim");
  const std::vector<std::string> runs = Runs(Stages()[0]);

  // scripts/test.sh (what CI runs): install-deps.sh, then run_preset ci = configure + build with the preset.
  const std::string test_sh = ReadFile(SourcePath("scripts/test.sh"));
  ASSERT_NE(test_sh.find("\nscripts/install-deps.sh\n"), std::string::npos);
  ASSERT_NE(test_sh.find("\nrun_preset ci "), std::string::npos);
  std::vector<std::string> ci_steps = {"scripts/install-deps.sh"};
  std::smatch body;
  ASSERT_TRUE(std::regex_search(test_sh, body, std::regex(R"(run_preset\(\) \{([\s\S]*?)\n\})")));
  std::istringstream lines(body[1].str());
  std::string line;
  while (std::getline(lines, line)) {
    std::string cmd = Normalize(line);
    if (cmd.rfind("cmake ", 0) != 0) continue;
    cmd = std::regex_replace(cmd, std::regex(R"(\"\$preset\")"), "ci");
    cmd = std::regex_replace(cmd, std::regex(R"( -j "\$JOBS"| >/dev/null)"), "");
    ci_steps.push_back(cmd);
  }
  ASSERT_EQ(ci_steps.size(), 3U) << "expected configure and build in run_preset";

  // The Dockerfile runs each of them, in order (a build may name its target).
  std::size_t next = 0;
  for (const auto& run : runs) {
    const std::string cmd = std::regex_replace(Normalize(run), std::regex(R"( --target \S+)"), "");
    if (next < ci_steps.size() && cmd == ci_steps[next]) ++next;
  }
  EXPECT_EQ(next, ci_steps.size()) << "the build stage must run, in order: " << ci_steps[0] << "; "
                                   << ci_steps[1] << "; " << ci_steps[2];

  // The binary it copies out is where the ci preset puts it.
  const nlohmann::json presets = nlohmann::json::parse(ReadFile(SourcePath("CMakePresets.json")));
  std::string binary_dir;
  for (const auto& p : presets["configurePresets"]) {
    if (p["name"] == "dev") binary_dir = p["binaryDir"];
  }
  EXPECT_EQ(binary_dir, "${sourceDir}/build/${presetName}");
  bool installs = false;
  for (const auto& run : runs) installs |= Normalize(run).rfind("cmake --install build/ci ", 0) == 0;
  EXPECT_TRUE(installs) << "the build stage installs from the ci preset's build directory";
}

TEST(DockerImageTest, RuntimeRunsAsNonRootAndExposesTheDefaultPort) {
  ASSERT_EQ(Stages().size(), 2U);
  std::string user, expose, entrypoint;
  for (const auto& i : Stages()[1].instructions) {
    if (i.op == "USER") user = i.args;
    if (i.op == "EXPOSE") expose = i.args;
    if (i.op == "ENTRYPOINT") entrypoint = i.args;
  }
  ASSERT_TRUE(std::regex_match(user, std::regex(R"((\d+):(\d+))"))) << "numeric uid:gid, for runAsNonRoot";
  EXPECT_NE(user.substr(0, user.find(':')), "0");
  const std::string help = RunCommand({ZKX_EXPORTER_BIN, "--help"}).output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(help, m, std::regex(R"(--web\.listen-address ADDRESS=:(\d+))")));
  EXPECT_EQ(expose, m[1].str());
  EXPECT_EQ(entrypoint, "[\"/usr/local/bin/zookeeper_exporter\"]");
}

}  // namespace
}  // namespace zkx::test::deploy
