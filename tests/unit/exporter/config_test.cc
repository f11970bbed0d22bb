#include "exporter/config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace zkx::exporter {
namespace {

using collectors::SubtreeSpec;
using std::chrono::milliseconds;
using testing::HasSubstr;
using testing::StartsWith;

constexpr char kSource[] = "/etc/zkx.yml";

FileConfig ParseOk(std::string_view yaml) {
  Result<FileConfig> r = ParseConfigYaml(yaml, kSource);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return std::move(r).value();
}

std::string ParseError(std::string_view yaml) {
  Result<FileConfig> r = ParseConfigYaml(yaml, kSource);
  EXPECT_FALSE(r.ok()) << yaml;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

constexpr char kFullExample[] = R"(# every key
defaults:
  refresh_interval: 1m
  max_depth: 10
  max_znodes: 5000
  max_in_flight: 64
  walk_timeout: 20s
  max_znode_series: 200
subtrees:
  - root: /brokers
    refresh_interval: 15s
    znode_patterns: ["/brokers/ids/*", "topics/*"]
  - root: /config/
    max_depth: 0
    max_znodes: 1
    max_in_flight: 2
    walk_timeout: 3s
    max_znode_series: 4
    znode_patterns:
      - "**"
  - root: /
)";

TEST(ConfigTest, FullExample) {
  const FileConfig c = ParseOk(kFullExample);
  EXPECT_EQ(c.defaults.refresh_interval, milliseconds{60000});
  EXPECT_EQ(c.defaults.limits.max_depth, 10);
  EXPECT_EQ(c.defaults.limits.max_znodes, 5000U);
  EXPECT_EQ(c.defaults.limits.max_in_flight, 64U);
  EXPECT_EQ(c.defaults.limits.timeout, milliseconds{20000});
  EXPECT_EQ(c.defaults.max_znode_series, 200U);
  ASSERT_EQ(c.subtrees.size(), 3U);

  const SubtreeSpec& brokers = c.subtrees[0];
  EXPECT_EQ(brokers.root, "/brokers");
  EXPECT_EQ(brokers.refresh_interval, milliseconds{15000});  // overridden
  EXPECT_EQ(brokers.limits.max_depth, 10);                   // from defaults
  EXPECT_EQ(brokers.limits.max_znodes, 5000U);
  EXPECT_EQ(brokers.limits.max_in_flight, 64U);
  EXPECT_EQ(brokers.limits.timeout, milliseconds{20000});
  EXPECT_EQ(brokers.max_znode_series, 200U);
  EXPECT_EQ(brokers.znode_patterns, (std::vector<std::string>{"/brokers/ids/*", "/brokers/topics/*"}));

  const SubtreeSpec& config = c.subtrees[1];
  EXPECT_EQ(config.root, "/config");  // normalised
  EXPECT_EQ(config.refresh_interval, milliseconds{60000});
  EXPECT_EQ(config.limits.max_depth, 0);
  EXPECT_EQ(config.limits.max_znodes, 1U);
  EXPECT_EQ(config.limits.max_in_flight, 2U);
  EXPECT_EQ(config.limits.timeout, milliseconds{3000});
  EXPECT_EQ(config.max_znode_series, 4U);
  EXPECT_EQ(config.znode_patterns, std::vector<std::string>{"/config/**"});

  EXPECT_EQ(c.subtrees[2].root, "/");
  EXPECT_TRUE(c.subtrees[2].znode_patterns.empty());
}

TEST(ConfigTest, EmptyFileIsEmptyConfigWithBuiltInDefaults) {
  for (const char* yaml : {"", "\n", "# only a comment\n", "---\n", "~\n"}) {
    const FileConfig c = ParseOk(yaml);
    EXPECT_TRUE(c.subtrees.empty()) << yaml;
    EXPECT_EQ(c.defaults.refresh_interval, milliseconds{30000});
    EXPECT_EQ(c.defaults.limits.max_depth, 64);
    EXPECT_EQ(c.defaults.limits.max_znodes, 100000U);
    EXPECT_EQ(c.defaults.limits.max_in_flight, 2048U);
    EXPECT_EQ(c.defaults.limits.timeout, milliseconds{60000});
    EXPECT_EQ(c.defaults.max_znode_series, 1000U);
  }
}

TEST(ConfigTest, EmptySectionsAreAllowed) {
  const FileConfig c = ParseOk("defaults:\nsubtrees:\n");
  EXPECT_TRUE(c.subtrees.empty());
  EXPECT_EQ(c.defaults.limits.max_depth, 64);
  EXPECT_TRUE(ParseOk("subtrees: []\ndefaults: {}\n").subtrees.empty());
}

TEST(ConfigTest, BuiltInDefaultsApplyToSubtrees) {
  const FileConfig c = ParseOk("subtrees:\n  - root: /a\n");
  ASSERT_EQ(c.subtrees.size(), 1U);
  SubtreeSpec expected;
  expected.root = "/a";
  EXPECT_EQ(c.subtrees[0], expected);
}

TEST(ConfigTest, DefaultsApplyEvenWhenListedAfterSubtrees) {
  const FileConfig c = ParseOk("subtrees:\n  - root: /a\ndefaults:\n  max_depth: 3\n");
  ASSERT_EQ(c.subtrees.size(), 1U);
  EXPECT_EQ(c.subtrees[0].limits.max_depth, 3);
}

TEST(ConfigTest, RelativePatternsResolveAgainstRoot) {
  const FileConfig c = ParseOk(R"(subtrees:
  - root: /dubbo
    znode_patterns: ["*/providers/*", "/other/abs", "**/consumers"]
  - root: /
    znode_patterns: ["zookeeper/*"]
)");
  ASSERT_EQ(c.subtrees.size(), 2U);
  EXPECT_EQ(c.subtrees[0].znode_patterns,
            (std::vector<std::string>{"/dubbo/*/providers/*", "/other/abs", "/dubbo/**/consumers"}));
  EXPECT_EQ(c.subtrees[1].znode_patterns, std::vector<std::string>{"/zookeeper/*"});
}

TEST(ConfigTest, DuplicateRootIsAnErrorWithLine) {
  const std::string message = ParseError(R"(subtrees:
  - root: /brokers
  - root: /config
  - root: /brokers/
)");
  EXPECT_THAT(message, StartsWith("/etc/zkx.yml:4: "));
  EXPECT_THAT(message, HasSubstr("duplicate subtree root \"/brokers\""));
  EXPECT_THAT(message, HasSubstr("line 2"));
}

TEST(ConfigTest, UnknownKeysAreErrorsWithLine) {
  EXPECT_THAT(ParseError("defaults:\n  refresh_interval: 1m\n  max_dept: 3\n"),
              AllOf(StartsWith("/etc/zkx.yml:3: "), HasSubstr("unknown key \"max_dept\" in defaults")));
  EXPECT_THAT(ParseError("subtree:\n  - root: /a\n"),
              AllOf(StartsWith("/etc/zkx.yml:1: "), HasSubstr("unknown key \"subtree\"")));
  EXPECT_THAT(ParseError("subtrees:\n  - root: /a\n\n    znode_pattern: [\"x\"]\n"),
              AllOf(StartsWith("/etc/zkx.yml:4: "), HasSubstr("unknown key \"znode_pattern\" in a subtree")));
  // `root` and `znode_patterns` belong to subtrees only.
  EXPECT_THAT(ParseError("defaults:\n  root: /a\n"), StartsWith("/etc/zkx.yml:2: "));
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(ParseError("defaults:\n  max_depth: 3\n  max_depth: 4\n"),
              AllOf(StartsWith("/etc/zkx.yml:3: "), HasSubstr("duplicate key \"max_depth\"")));
}

struct BadCase {
  const char* yaml;
  int line;
  const char* problem;
};

class ConfigBadValueTest : public testing::TestWithParam<BadCase> {};

TEST_P(ConfigBadValueTest, ErrorHasLineAndProblem) {
  const BadCase& c = GetParam();
  const std::string message = ParseError(c.yaml);
  EXPECT_THAT(message, StartsWith("/etc/zkx.yml:" + std::to_string(c.line) + ": ")) << c.yaml;
  EXPECT_THAT(message, HasSubstr(c.problem)) << c.yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigBadValueTest,
    testing::Values(
        BadCase{"defaults:\n  max_depth: abc\n", 2, "max_depth: want an integer, got \"abc\""},
        BadCase{"defaults:\n  max_depth: \"abc\"\n", 2, "want an integer"},
        BadCase{"defaults:\n  max_depth: -1\n", 2, "out of range"},
        BadCase{"defaults:\n  max_depth: 3.5\n", 2, "want an integer"},
        BadCase{"defaults:\n  max_depth: 99999999999\n", 2, "out of range"},
        BadCase{"defaults:\n  max_depth: [1]\n", 2, "got a list"},
        BadCase{"defaults:\n  max_depth:\n", 2, "max_depth: want an integer, got null"},
        BadCase{"defaults:\n  max_znodes: 0\n", 2, "max_znodes"},
        BadCase{"defaults:\n  max_in_flight: -3\n", 2, "max_in_flight"},
        BadCase{"defaults:\n  max_znode_series: 0\n", 2, "max_znode_series"},
        BadCase{"defaults:\n  max_znodes: 99999999999999999999\n", 2, "out of range"},
        BadCase{"defaults:\n  refresh_interval: 30\n", 2, "refresh_interval: invalid duration \"30\""},
        BadCase{"defaults:\n  refresh_interval: 0s\n", 2, "greater than zero"},
        BadCase{"defaults:\n  refresh_interval: 1ms\n", 2,
                "refresh_interval: 1ms is below the floor of 1000ms"},
        BadCase{"defaults:\n  resync_interval: 999ms\n", 2, "resync_interval: 999ms is below the floor"},
        BadCase{"defaults:\n  walk_timeout: 1m1h\n", 2, "walk_timeout"},
        BadCase{"defaults:\n  walk_timeout: {a: 1}\n", 2, "got a map"},
        BadCase{"defaults: [1, 2]\n", 1, "defaults: want a map, got a list"},
        BadCase{"defaults: 5\n", 1, "defaults: want a map"},
        BadCase{"subtrees:\n  root: /a\n", 2, "subtrees: want a list, got a map"},
        BadCase{"subtrees: /a\n", 1, "subtrees: want a list"},
        BadCase{"subtrees:\n  - /a\n", 2, "each entry must be a map"},
        BadCase{"subtrees:\n  - refresh_interval: 1m\n", 2, "no root"},
        BadCase{"subtrees:\n  - root: brokers\n", 2, "not absolute"},
        BadCase{"subtrees:\n  - root: /a//b\n", 2, "empty segment"},
        BadCase{"subtrees:\n  - root: [/a]\n", 2, "root: want an absolute znode path, got a list"},
        BadCase{"subtrees:\n  - root:\n", 2, "root: want"},
        BadCase{"subtrees:\n  - root: /a\n    znode_patterns: \"ids/*\"\n", 3, "want a list of patterns"},
        BadCase{"subtrees:\n  - root: /a\n    znode_patterns:\n      - ok/*\n      - [x]\n", 5,
                "want a pattern string"},
        BadCase{"subtrees:\n  - root: /a\n    znode_patterns:\n      - ok/*\n      - bad/**x\n", 5,
                "'**' must be a whole segment"},
        BadCase{"subtrees:\n  - root: /a\n    znode_patterns: [\"\"]\n", 3, "znode_patterns"},
        BadCase{"subtrees:\n  - root: /a\n    max_depth: x\n", 3, "max_depth"},
        BadCase{"- a\n- b\n", 1, "the top level must be a map, got a list"},
        BadCase{"just a string\n", 1, "the top level must be a map"},
        BadCase{"? [a, b]\n: 1\n", 1, "plain strings"},
        BadCase{"defaults:\n  max_depth: 3\n---\nsubtrees: []\n", 4, "more than one YAML document"}));

TEST(ConfigTest, YamlSyntaxErrorsHaveLine) {
  EXPECT_THAT(ParseError("defaults:\n  max_depth: 3\n subtrees: [\n"),
              AllOf(StartsWith("/etc/zkx.yml:"), HasSubstr("YAML syntax error")));
  const std::string message = ParseError("subtrees:\n  - root: /a\n    znode_patterns: [\"x\"\n");
  EXPECT_THAT(message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(ParseError("defaults:\n  max_depth: 1\n   bad: indentation\n"), StartsWith("/etc/zkx.yml:3: "));
  EXPECT_THAT(ParseError("a: 'unterminated\n"), StartsWith("/etc/zkx.yml:"));
  EXPECT_THAT(ParseError("defaults: *nope\n"), StartsWith("/etc/zkx.yml:1: "));
}

// Found by config_yaml_fuzz: a key or value holding control characters (here a double-quoted "\n" and "\r")
// was copied raw into the message, breaking the one-line startup error. They are escaped as \xNN.
TEST(ConfigTest, ControlCharactersInMessagesAreEscaped) {
  const std::string key = ParseError("\"a\\nb\\rc\": 1\n");
  EXPECT_THAT(key, HasSubstr(R"(unknown key "a\x0ab\x0dc")"));
  EXPECT_EQ(key.find_first_of("\n\r"), std::string::npos) << key;
  const std::string duration = ParseError("defaults:\n  refresh_interval: \"1s\\n\"\n");
  EXPECT_THAT(duration, HasSubstr(R"(invalid duration "1s\x0a")"));
  EXPECT_EQ(duration.find('\n'), std::string::npos) << duration;
  // yaml-cpp's own messages may quote the offending character raw (found by the fuzzer: a NUL after a plain
  // scalar gives "unknown escape character: " and a newline).
  const char kNul[] = "defaults:\n  refresh_interval: soon\n  max_znodes: c\0\n";
  const std::string escape = ParseError(std::string_view(kNul, sizeof kNul - 1));
  EXPECT_THAT(escape, HasSubstr("YAML syntax error"));
  EXPECT_EQ(escape.find('\n'), std::string::npos) << escape;
}

// Found by config_yaml_fuzz: yaml-cpp 0.7's LoadAll never returns on these (it keeps producing empty
// documents, allocating until out of memory); the exporter hung at startup or on SIGHUP.
TEST(ConfigTest, StreamsThatStallTheYamlParserAreSyntaxErrors) {
  for (const char* yaml : {",", ",\n", "&\"\\,\"", "subtrees: []\n---\n,\n"}) {
    EXPECT_THAT(ParseError(yaml), AllOf(StartsWith("/etc/zkx.yml:"), HasSubstr("YAML syntax error"))) << yaml;
  }
  EXPECT_THAT(ParseError("a: 1\n---\nb: 2\n---\nc: 3\n"),
              StartsWith("/etc/zkx.yml:3: more than one YAML document"));
}

TEST(ConfigTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = "defaults: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_FALSE(ParseConfigYaml(deep, kSource).ok());
}

TEST(ConfigTest, AliasesWork) {
  const FileConfig c = ParseOk(R"(subtrees:
  - root: /a
    refresh_interval: &fast 5s
  - root: /b
    refresh_interval: *fast
)");
  ASSERT_EQ(c.subtrees.size(), 2U);
  EXPECT_EQ(c.subtrees[1].refresh_interval, milliseconds{5000});
}

class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    char name[] = "/tmp/zkx_config_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigTest, LoadConfigFile) {
  TempFile file(kFullExample);
  Result<FileConfig> c = LoadConfigFile(file.path());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->subtrees.size(), 3U);
}

TEST(ConfigTest, LoadConfigFileErrorsNameTheFile) {
  TempFile file("defaults:\n  max_depth: nope\n");
  Result<FileConfig> c = LoadConfigFile(file.path());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), StartsWith(file.path() + ":2: "));

  Result<FileConfig> missing = LoadConfigFile("/nonexistent/zkx.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/zkx.yml"));
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file or directory"));

  Result<FileConfig> directory = LoadConfigFile("/tmp");
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("\"/tmp\""));
}

TEST(EffectiveSubtreesTest, FileOnly) {
  const FileConfig file = ParseOk(kFullExample);
  Result<std::vector<SubtreeSpec>> s = EffectiveSubtrees(file, {}, std::nullopt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, file.subtrees);
}

TEST(EffectiveSubtreesTest, FlagRootsGetFileDefaults) {
  const FileConfig file =
      ParseOk("defaults:\n  refresh_interval: 2m\n  max_depth: 5\n  max_znode_series: 7\n");
  Result<std::vector<SubtreeSpec>> s = EffectiveSubtrees(file, {"/a", "/b/"}, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 2U);
  EXPECT_EQ((*s)[0].root, "/a");
  EXPECT_EQ((*s)[1].root, "/b");
  EXPECT_EQ((*s)[0].refresh_interval, milliseconds{120000});
  EXPECT_EQ((*s)[0].limits.max_depth, 5);
  EXPECT_EQ((*s)[0].max_znode_series, 7U);
  EXPECT_TRUE((*s)[0].znode_patterns.empty());
}

TEST(EffectiveSubtreesTest, MergesWithoutDuplicatesAndFlagIntervalOnlyForFlagRoots) {
  const FileConfig file = ParseOk(R"(defaults:
  refresh_interval: 1m
subtrees:
  - root: /brokers
    refresh_interval: 15s
  - root: /config
)");
  Result<std::vector<SubtreeSpec>> s =
      EffectiveSubtrees(file, {"/brokers", "/extra", "/config/", "/extra"}, milliseconds{5000});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 3U);
  EXPECT_EQ((*s)[0].root, "/brokers");
  EXPECT_EQ((*s)[0].refresh_interval, milliseconds{15000});  // the file's value stands
  EXPECT_EQ((*s)[1].root, "/config");
  EXPECT_EQ((*s)[1].refresh_interval, milliseconds{60000});  // the file's default stands
  EXPECT_EQ((*s)[2].root, "/extra");
  EXPECT_EQ((*s)[2].refresh_interval, milliseconds{5000});  // the flag applies to flag-added roots
}

TEST(EffectiveSubtreesTest, FlagRootsWithoutFile) {
  Result<std::vector<SubtreeSpec>> s = EffectiveSubtrees(FileConfig{}, {"/"}, std::nullopt);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1U);
  SubtreeSpec expected;
  expected.root = "/";
  EXPECT_EQ((*s)[0], expected);
}

TEST(EffectiveSubtreesTest, InvalidFlagRoot) {
  for (const char* root : {"", "brokers", "/a//b", "/a/../b"}) {
    Result<std::vector<SubtreeSpec>> s = EffectiveSubtrees(FileConfig{}, {"/ok", root}, std::nullopt);
    ASSERT_FALSE(s.ok()) << root;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr("--tree.root"));
  }
}

}  // namespace
}  // namespace zkx::exporter

namespace zkx::exporter {
namespace {

TEST(ConfigRefreshModeTest, DefaultsAndPerSubtree) {
  const FileConfig c =
      ParseConfigYaml(
          "defaults:\n  refresh_mode: watch\n  resync_interval: 5m\nsubtrees:\n  - root: /a\n"
          "  - root: /b\n    refresh_mode: poll\n    resync_interval: 1m\n",
          "test.yml")
          .value();
  ASSERT_EQ(c.subtrees.size(), 2U);
  EXPECT_EQ(c.subtrees[0].refresh_mode, collectors::RefreshMode::kWatch);
  EXPECT_EQ(c.subtrees[0].resync_interval, std::chrono::minutes(5));
  EXPECT_EQ(c.subtrees[1].refresh_mode, collectors::RefreshMode::kPoll);
  EXPECT_EQ(c.subtrees[1].resync_interval, std::chrono::minutes(1));
  EXPECT_NE(c.subtrees[0], c.subtrees[1]);
}

TEST(ConfigRefreshModeTest, BuiltInIsPollEveryTenMinutes) {
  const FileConfig c = ParseConfigYaml("subtrees:\n  - root: /a\n", "test.yml").value();
  EXPECT_EQ(c.subtrees[0].refresh_mode, collectors::RefreshMode::kPoll);
  EXPECT_EQ(c.subtrees[0].resync_interval, std::chrono::minutes(10));
}

TEST(ConfigRefreshModeTest, BadValuesAreErrorsWithLine) {
  Result<FileConfig> r = ParseConfigYaml("defaults:\n  refresh_mode: push\n", "test.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), testing::HasSubstr("test.yml:2"));
  EXPECT_THAT(r.status().message(), testing::HasSubstr("want poll or watch"));
  EXPECT_FALSE(ParseConfigYaml("subtrees:\n  - root: /a\n    resync_interval: 0s\n", "t").ok());
}

TEST(ConfigRefreshModeTest, FlagIsTheDefaultForSubtreesWithoutAMode) {
  const FileConfig c =
      ParseConfigYaml("subtrees:\n  - root: /a\n  - root: /b\n    refresh_mode: poll\n", "test.yml").value();
  auto specs = EffectiveSubtrees(c, {"/c"}, std::nullopt, collectors::RefreshMode::kWatch).value();
  ASSERT_EQ(specs.size(), 3U);
  EXPECT_EQ(specs[0].refresh_mode, collectors::RefreshMode::kWatch);  // the file set none
  EXPECT_EQ(specs[1].refresh_mode, collectors::RefreshMode::kPoll);   // the file's own choice wins
  EXPECT_EQ(specs[2].refresh_mode, collectors::RefreshMode::kWatch);  // --tree.root
  auto unset = EffectiveSubtrees(c, {"/c"}, std::nullopt).value();
  EXPECT_EQ(unset[2].refresh_mode, collectors::RefreshMode::kPoll);
  // A file-wide default beats the flag too.
  const FileConfig d =
      ParseConfigYaml("defaults:\n  refresh_mode: poll\nsubtrees:\n  - root: /a\n", "t").value();
  auto from_defaults = EffectiveSubtrees(d, {"/c"}, std::nullopt, collectors::RefreshMode::kWatch).value();
  EXPECT_EQ(from_defaults[0].refresh_mode, collectors::RefreshMode::kPoll);
  EXPECT_EQ(from_defaults[1].refresh_mode, collectors::RefreshMode::kPoll);
}

TEST(ConfigTest, AclAuditIsOptInPerSubtreeWithACap) {
  FileConfig c = ParseOk(R"(defaults:
  acl_audit_max_znodes: 500
subtrees:
  - root: /config
    acl_audit: true
  - root: /brokers
  - root: /hbase
    acl_audit: true
    acl_audit_max_znodes: 20
)");
  ASSERT_EQ(c.subtrees.size(), 3U);
  EXPECT_TRUE(c.subtrees[0].acl_audit);
  EXPECT_EQ(c.subtrees[0].acl_audit_max_znodes, 500U);
  EXPECT_FALSE(c.subtrees[1].acl_audit);
  EXPECT_TRUE(c.subtrees[2].acl_audit);
  EXPECT_EQ(c.subtrees[2].acl_audit_max_znodes, 20U);
  EXPECT_EQ(ParseError("subtrees:\n  - root: /a\n    acl_audit: yes\n"),
            "/etc/zkx.yml:3: acl_audit: want true or false, got \"yes\"");
  EXPECT_THAT(ParseError("subtrees:\n  - root: /a\n    acl_audit_max_znodes: 0\n"),
              AllOf(StartsWith("/etc/zkx.yml:3:"), HasSubstr("acl_audit_max_znodes")));
}

}  // namespace
}  // namespace zkx::exporter
