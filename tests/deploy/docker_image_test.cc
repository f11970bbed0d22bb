// deploy/docker/Dockerfile, statically (tests/container builds and runs the image with podman): the runtime
// stage installs exactly the Debian packages that provide the shared libraries the binary loads (`ldd` on
// every file `cmake --install` installs, then `dpkg -S`: this machine is Debian 12 like the image), both ways
// of filling it (`runtime` from the build stage, `prebuilt` from an install tree) copy every installed file,
// and the build stage installs build dependencies only (none of CI's test toolchain).
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

struct Instruction {
  std::string op;    // "FROM", "RUN", ...
  std::string args;  // continuation lines joined
};
struct Stage {
  std::string from;
  std::string name;  // FROM <image> AS <name>
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
      const std::vector<std::string> w = SplitWhitespace(ins.args);
      stages.push_back(Stage{w.at(0), w.size() == 3 && (w[1] == "AS" || w[1] == "as") ? w[2] : "", {}});
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

// The stage named `name`; an empty stage (no instructions) if there is none.
const Stage& StageNamed(const std::string& name) {
  static const Stage none;
  for (const auto& s : Stages()) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "deploy/docker/Dockerfile has no stage " << name;
  return none;
}

// The packages of every `apt-get install` in a stage.
std::set<std::string> AptInstalled(const Stage& stage) {
  std::set<std::string> installed;
  for (const auto& run : Runs(stage)) {
    const std::vector<std::string> words = SplitWhitespace(run);
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] != "apt-get" || words[i + 1] != "install") continue;
      for (std::size_t j = i + 2; j < words.size() && words[j] != "&&"; ++j) {
        if (words[j][0] != '-') installed.insert(words[j]);
      }
    }
  }
  return installed;
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

// The stage's COPY <src> <dst> as absolute source paths: `COPY --from=build /a /b` as is, a COPY from the
// context (the `prebuilt` stage's install tree, whose root is the prefix /usr/local) under /usr/local/.
std::vector<std::pair<std::string, std::string>> Copies(const Stage& stage) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& i : stage.instructions) {
    const std::vector<std::string> w = SplitWhitespace(i.args);
    if (i.op == "COPY" && w.size() == 3 && w[0] == "--from=build") out.emplace_back(w[1], w[2]);
    if (i.op == "COPY" && w.size() == 2) out.emplace_back("/usr/local/" + w[0], w[1]);
  }
  return out;
}

TEST(DockerImageTest, RuntimeStageCopiesEveryInstalledFileAndInstallsExactlyTheirLibrariesPackages) {
#ifdef ZKX_SANITIZED_BUILD
  GTEST_SKIP() << "sanitizer build: its binary links the sanitizer runtime, which the image does not ship";
#endif
  ASSERT_EQ(Stages().size(), 4U);
  const std::string root = TempDir();
  const std::string prefix = root + "/usr/local";
  const std::vector<std::string> files = InstalledFiles(prefix);
  ASSERT_FALSE(files.empty());

  // Every installed file reaches the same place in the image, both ways (the build stage installs under
  // /usr/local; the prebuilt stage's context is an install tree).
  for (const std::string stage : {"runtime", "prebuilt"}) {
    EXPECT_EQ(StageNamed(stage).from, "runtime-base");
    for (const auto& f : files) {
      const std::string path = "/usr/local/" + f;
      bool copied = false;
      for (const auto& [src, dst] : Copies(StageNamed(stage))) {
        copied |= src == path && dst == path;
        copied |= src.back() == '/' && src == dst && path.rfind(src, 0) == 0;
      }
      EXPECT_TRUE(copied) << path << " is installed but not copied into the " << stage << " stage";
    }
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
  // Cyrus SASL loads its mechanisms as plugins at run time, which `ldd` cannot see: DIGEST-MD5 comes in
  // libsasl2-modules, GSSAPI (Kerberos) in libsasl2-modules-gssapi-mit.
  if (needed.count("libsasl2-2")) {
    needed.insert("libsasl2-modules");
    needed.insert("libsasl2-modules-gssapi-mit");
  }

  const std::set<std::string> installed = AptInstalled(StageNamed("runtime-base"));
  EXPECT_EQ(installed, needed)
      << "the runtime stage must install the packages `ldd` + `dpkg -S` name, no more";
}

// The build stage installs build dependencies only: packages scripts/install-deps.sh also installs, none of
// them CI's test toolchain; then it builds with the `ci` preset (warnings are errors) without the tests.
TEST(DockerImageTest, BuildStageInstallsOnlyBuildDependencies) {
  const Stage& build = StageNamed("build");
  EXPECT_EQ(build.from, "debian:12");
  EXPECT_EQ(Stages().front().name, "build");
  EXPECT_EQ(Stages().back().name, "runtime") << "the default target (the last stage) builds from source";
  const std::set<std::string> packages = AptInstalled(build);
  ASSERT_GE(packages.size(), 5U);

  const std::string deps = ReadFile(SourcePath("scripts/install-deps.sh"));
  std::smatch list;
  ASSERT_TRUE(std::regex_search(deps, list, std::regex(R"(PACKAGES=\(([\s\S]*?)\n\))")));
  std::set<std::string> ci_packages;
  std::istringstream lines(list[1].str());
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    for (const auto& w : SplitWhitespace(line)) ci_packages.insert(w);
  }
  const std::set<std::string> test_toolchain = {
      "zookeeper",          "default-jre-headless", "prometheus",    "clang",
      "libclang-rt-14-dev", "clang-tidy",           "clang-format",  "libgtest-dev",
      "libgmock-dev",       "libservlet-api-java",  "libslf4j-java", "podman"};
  // build-essential (CI's) is g++, make, dpkg-dev and libc6-dev: the image needs only g++ (Ninja builds).
  if (ci_packages.count("build-essential")) ci_packages.insert("g++");
  for (const auto& p : packages) {
    EXPECT_TRUE(ci_packages.count(p)) << p << " is not one of scripts/install-deps.sh's packages";
    EXPECT_FALSE(test_toolchain.count(p)) << p << " is test toolchain, not a build dependency";
  }

  std::vector<std::string> runs;
  for (const auto& r : Runs(build)) runs.push_back(Normalize(r));
  auto has = [&](const std::string& prefix) {
    for (const auto& r : runs) {
      if (r.rfind(prefix, 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("cmake --preset ci -DZKX_BUILD_TESTS=OFF"));
  EXPECT_TRUE(has("cmake --build --preset ci --target zookeeper_exporter"));
  EXPECT_TRUE(has("cmake --install build/ci --strip"));
}

TEST(DockerImageTest, RuntimeRunsAsNonRootAndExposesTheDefaultPort) {
  std::string user, expose, entrypoint;
  for (const auto& i : StageNamed("runtime-base").instructions) {
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
