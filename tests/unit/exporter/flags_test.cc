#include "exporter/flags.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zkx::exporter {
namespace {

using std::chrono::milliseconds;
using testing::HasSubstr;

const std::map<std::string, bool> kCollectors = {
    {"build_info", true}, {"session", true}, {"tree", true}, {"watches", false}};
constexpr char kVersion[] = "zookeeper_exporter, version 0.1.0 (revision: abc123)";

Result<FlagsOutcome> Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"zookeeper_exporter"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseFlags(static_cast<int>(argv.size()), argv.data(), kCollectors, kVersion);
}

Flags ParseOk(const std::vector<std::string>& args) {
  Result<FlagsOutcome> r = Parse(args);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->action, FlagsOutcome::Action::kRun);
  return r->flags;
}

std::string ParseError(const std::vector<std::string>& args) {
  Result<FlagsOutcome> r = Parse(args);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(FlagsTest, Defaults) {
  const Flags f = ParseOk({});
  EXPECT_EQ(f.zookeeper_hosts, "127.0.0.1:2181");
  EXPECT_EQ(f.session_timeout, milliseconds{30000});
  EXPECT_EQ(f.auth_file, "");
  EXPECT_EQ(f.max_in_flight, 4096U);
  EXPECT_EQ(f.config_file, "");
  EXPECT_FALSE(f.config_check);
  EXPECT_TRUE(f.tree_roots.empty());
  EXPECT_FALSE(f.tree_refresh_interval.has_value());
  EXPECT_EQ(f.listen_address, ":9141");
  EXPECT_EQ(f.telemetry_path, "/metrics");
  EXPECT_EQ(f.scrape_timeout, milliseconds{10000});
  EXPECT_EQ(f.log_level, "info");
  EXPECT_EQ(f.log_format, "logfmt");
  EXPECT_TRUE(f.collector_overrides.empty());
}

TEST(FlagsTest, ZeroArgcIsDefaults) {
  Result<FlagsOutcome> r = ParseFlags(0, nullptr, kCollectors, kVersion);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->flags.listen_address, ":9141");
}

TEST(FlagsTest, EveryFlagWithEquals) {
  const Flags f =
      ParseOk({"--zookeeper.hosts=zk1:2181,zk2:2181/kafka", "--zookeeper.session-timeout=1m",
               "--zookeeper.auth-file=/etc/zk/auth", "--zookeeper.max-in-flight=64",
               "--config.file=/etc/zkx.yml", "--config.check", "--tree.root=/brokers",
               "--tree.refresh-interval=15s", "--web.listen-address=127.0.0.1:9999",
               "--web.telemetry-path=/zk/metrics", "--web.scrape-timeout=2500ms", "--log.level=debug",
               "--log.format=json", "--zookeeper.walk-sessions=4", "--web.max-concurrent-scrapes=3"});
  EXPECT_EQ(f.walk_sessions, 4U);
  EXPECT_EQ(f.max_concurrent_scrapes, 3U);
  EXPECT_EQ(f.zookeeper_hosts, "zk1:2181,zk2:2181/kafka");
  EXPECT_EQ(f.session_timeout, milliseconds{60000});
  EXPECT_EQ(f.auth_file, "/etc/zk/auth");
  EXPECT_EQ(f.max_in_flight, 64U);
  EXPECT_EQ(f.config_file, "/etc/zkx.yml");
  EXPECT_TRUE(f.config_check);
  EXPECT_EQ(f.tree_roots, std::vector<std::string>{"/brokers"});
  EXPECT_EQ(f.tree_refresh_interval, milliseconds{15000});
  EXPECT_EQ(f.listen_address, "127.0.0.1:9999");
  EXPECT_EQ(f.telemetry_path, "/zk/metrics");
  EXPECT_EQ(f.scrape_timeout, milliseconds{2500});
  EXPECT_EQ(f.log_level, "debug");
  EXPECT_EQ(f.log_format, "json");
}

TEST(FlagsTest, EveryFlagWithSpace) {
  const Flags f = ParseOk({"--zookeeper.hosts",
                           "zk1:2181",
                           "--zookeeper.session-timeout",
                           "45s",
                           "--zookeeper.auth-file",
                           "/a",
                           "--zookeeper.max-in-flight",
                           "7",
                           "--config.file",
                           "c.yml",
                           "--tree.root",
                           "/x",
                           "--tree.refresh-interval",
                           "1h",
                           "--web.listen-address",
                           ":8080",
                           "--web.telemetry-path",
                           "/m",
                           "--web.scrape-timeout",
                           "3s",
                           "--log.level",
                           "warn",
                           "--log.format",
                           "logfmt"});
  EXPECT_EQ(f.zookeeper_hosts, "zk1:2181");
  EXPECT_EQ(f.session_timeout, milliseconds{45000});
  EXPECT_EQ(f.auth_file, "/a");
  EXPECT_EQ(f.max_in_flight, 7U);
  EXPECT_EQ(f.config_file, "c.yml");
  EXPECT_EQ(f.tree_roots, std::vector<std::string>{"/x"});
  EXPECT_EQ(f.tree_refresh_interval, milliseconds{3600000});
  EXPECT_EQ(f.listen_address, ":8080");
  EXPECT_EQ(f.telemetry_path, "/m");
  EXPECT_EQ(f.scrape_timeout, milliseconds{3000});
  EXPECT_EQ(f.log_level, "warn");
  EXPECT_EQ(f.log_format, "logfmt");
}

TEST(FlagsTest, LastValueWins) {
  const Flags f = ParseOk({"--log.level=debug", "--log.level=error"});
  EXPECT_EQ(f.log_level, "error");
}

TEST(FlagsTest, TreeRootIsRepeatableAndTakesOneValueEach) {
  const Flags f = ParseOk({"--tree.root=/a", "--tree.root", "/b", "--tree.root=/c/d"});
  EXPECT_EQ(f.tree_roots, (std::vector<std::string>{"/a", "/b", "/c/d"}));
  // A second bare word after --tree.root is not swallowed as another root.
  EXPECT_THAT(ParseError({"--tree.root", "/a", "/b"}), HasSubstr("/b"));
}

TEST(FlagsTest, CollectorOverrides) {
  const Flags f = ParseOk({"--no-collector.tree", "--collector.watches"});
  EXPECT_EQ(f.collector_overrides, (std::map<std::string, bool>{{"tree", false}, {"watches", true}}));
  // A default-on collector enabled explicitly is still recorded as given.
  EXPECT_EQ(ParseOk({"--collector.session"}).collector_overrides,
            (std::map<std::string, bool>{{"session", true}}));
}

TEST(FlagsTest, CollectorOverrideLastOneWins) {
  EXPECT_EQ(ParseOk({"--collector.tree", "--no-collector.tree"}).collector_overrides,
            (std::map<std::string, bool>{{"tree", false}}));
  EXPECT_EQ(ParseOk({"--no-collector.tree", "--collector.tree"}).collector_overrides,
            (std::map<std::string, bool>{{"tree", true}}));
}

TEST(FlagsTest, UnknownCollectorIsAnError) {
  EXPECT_THAT(ParseError({"--collector.nope"}), HasSubstr("--collector.nope"));
  EXPECT_THAT(ParseError({"--no-collector.nope"}), HasSubstr("--no-collector.nope"));
}

TEST(FlagsTest, UnknownFlagErrorNamesIt) {
  EXPECT_THAT(ParseError({"--zookeeper.hostz=x"}), HasSubstr("--zookeeper.hostz"));
  EXPECT_THAT(ParseError({"--log.level=info", "--bogus"}), HasSubstr("--bogus"));
  EXPECT_THAT(ParseError({"-x"}), HasSubstr("-x"));
  EXPECT_THAT(ParseError({"stray"}), HasSubstr("stray"));
}

TEST(FlagsTest, MissingValueNamesTheFlag) {
  EXPECT_THAT(ParseError({"--zookeeper.hosts"}), HasSubstr("--zookeeper.hosts"));
  EXPECT_THAT(ParseError({"--web.listen-address"}), HasSubstr("--web.listen-address"));
}

struct BadValueCase {
  const char* arg;
  const char* flag;
};

class FlagsBadValueTest : public testing::TestWithParam<BadValueCase> {};

TEST_P(FlagsBadValueTest, ErrorNamesTheFlag) {
  const BadValueCase& c = GetParam();
  const std::string message = ParseError({c.arg});
  EXPECT_THAT(message, HasSubstr(c.flag)) << c.arg;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FlagsBadValueTest,
    testing::Values(BadValueCase{"--zookeeper.session-timeout=30", "--zookeeper.session-timeout"},
                    BadValueCase{"--zookeeper.session-timeout=0s", "--zookeeper.session-timeout"},
                    BadValueCase{"--zookeeper.session-timeout=-5s", "--zookeeper.session-timeout"},
                    BadValueCase{"--zookeeper.session-timeout=", "--zookeeper.session-timeout"},
                    BadValueCase{"--tree.refresh-interval=5sec", "--tree.refresh-interval"},
                    BadValueCase{"--tree.refresh-interval=0", "--tree.refresh-interval"},
                    BadValueCase{"--tree.refresh-interval=1ms", "--tree.refresh-interval"},
                    BadValueCase{"--tree.refresh-interval=999ms", "--tree.refresh-interval"},
                    BadValueCase{"--web.scrape-timeout=1m1h", "--web.scrape-timeout"},
                    BadValueCase{"--zookeeper.walk-sessions=0", "--zookeeper.walk-sessions"},
                    BadValueCase{"--zookeeper.walk-sessions=17", "--zookeeper.walk-sessions"},
                    BadValueCase{"--zookeeper.watch-sessions=0", "--zookeeper.watch-sessions"},
                    BadValueCase{"--zookeeper.watch-sessions=33", "--zookeeper.watch-sessions"},
                    BadValueCase{"--zookeeper.watch-sessions=four", "--zookeeper.watch-sessions"},
                    BadValueCase{"--web.max-concurrent-scrapes=0", "--web.max-concurrent-scrapes"},
                    BadValueCase{"--zookeeper.max-in-flight=0", "--zookeeper.max-in-flight"},
                    BadValueCase{"--zookeeper.max-in-flight=-1", "--zookeeper.max-in-flight"},
                    BadValueCase{"--zookeeper.max-in-flight=ten", "--zookeeper.max-in-flight"},
                    BadValueCase{"--zookeeper.max-in-flight=10x", "--zookeeper.max-in-flight"},
                    BadValueCase{"--zookeeper.max-in-flight=99999999999999999999",
                                 "--zookeeper.max-in-flight"},
                    BadValueCase{"--zookeeper.hosts=", "--zookeeper.hosts"},
                    BadValueCase{"--log.level=trace", "--log.level"},
                    BadValueCase{"--log.level=INFO", "--log.level"},
                    BadValueCase{"--log.format=text", "--log.format"},
                    BadValueCase{"--web.telemetry-path=metrics", "--web.telemetry-path"},
                    BadValueCase{"--web.telemetry-path=", "--web.telemetry-path"},
                    BadValueCase{"--web.telemetry-path=/a b", "--web.telemetry-path"},
                    BadValueCase{"--web.telemetry-path=/m?x=1", "--web.telemetry-path"},
                    // Issue 16: a telemetry path equal to another endpoint left no path serving metrics.
                    BadValueCase{"--web.telemetry-path=/healthz", "--web.telemetry-path"},
                    BadValueCase{"--web.telemetry-path=/readyz", "--web.telemetry-path"},
                    BadValueCase{"--web.telemetry-path=/", "--web.telemetry-path"},
                    BadValueCase{"--web.listen-address=9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:0", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:65536", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:123456", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:http", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=:-1", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=example.com:9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=1.2.3:9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=256.1.1.1:9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=::1:9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=[::1]", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=[]:9141", "--web.listen-address"},
                    BadValueCase{"--web.listen-address=[nope]:9141", "--web.listen-address"}));

// The canary collector's flags, declared in its registration (collectors/probe_collector.cc).
TEST(FlagsTest, ProbeFlags) {
  auto path = [](const Flags& f) { return f.collector_flags.String("--canary.path"); };
  auto interval = [](const Flags& f) { return f.collector_flags.Duration("--canary.interval"); };
  auto timeout = [](const Flags& f) { return f.collector_flags.Duration("--canary.timeout"); };
  Flags f = ParseOk({});
  EXPECT_EQ(path(f), "/zookeeper_exporter_probe");
  EXPECT_EQ(interval(f), milliseconds{15000});
  EXPECT_EQ(timeout(f), milliseconds{5000});
  f = ParseOk({"--probe.path=/ops/probe", "--probe.interval=1m", "--probe.timeout", "250ms"});
  EXPECT_EQ(path(f), "/ops/probe");
  EXPECT_EQ(interval(f), milliseconds{60000});
  EXPECT_EQ(timeout(f), milliseconds{250});
  // The collector is now "canary"; its flags' new names (the old ones above stay accepted, deprecated).
  f = ParseOk({"--canary.path=/ops/canary", "--canary.interval=2m", "--canary.timeout", "1s"});
  EXPECT_EQ(path(f), "/ops/canary");
  EXPECT_EQ(interval(f), milliseconds{120000});
  EXPECT_EQ(timeout(f), milliseconds{1000});
}

// Help shows each collector flag's one default, as the command line writes it.
TEST(FlagsTest, HelpShowsCollectorFlagDefaults) {
  Result<FlagsOutcome> r = Parse({"--help"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const char* text : {"--server.admin-port", "8080", "--canary.interval", "15s", "--server.timeout",
                           "2s", "--watches.max-paths", "1000", "/zookeeper_exporter_probe",
                           "--zookeeper.session-timeout", "30s", "60s", "524288"}) {
    EXPECT_THAT(r->output, HasSubstr(text));
  }
}

TEST(FlagsTest, BadProbeFlagsNameTheFlagAndTheProblem) {
  EXPECT_THAT(ParseError({"--probe.interval=15"}), HasSubstr("--canary.interval"));
  EXPECT_THAT(ParseError({"--probe.interval=0s"}), HasSubstr("--canary.interval"));
  EXPECT_THAT(ParseError({"--probe.timeout=-1s"}), HasSubstr("--canary.timeout"));
  EXPECT_THAT(ParseError({"--probe.timeout="}), HasSubstr("--canary.timeout"));
  EXPECT_THAT(ParseError({"--probe.path=probe"}), HasSubstr("must start with '/'"));
  EXPECT_THAT(ParseError({"--probe.path=/"}), HasSubstr("--canary.path"));
  EXPECT_THAT(ParseError({"--probe.path=/a//b"}), HasSubstr("--canary.path"));
  EXPECT_THAT(ParseError({"--probe.path=/zookeeper/probe"}), HasSubstr("reserved"));
}

TEST(FlagsTest, BadDurationMessageExplains) {
  const std::string message = ParseError({"--zookeeper.session-timeout=30"});
  EXPECT_THAT(message, HasSubstr("\"30\""));
  EXPECT_THAT(message, HasSubstr("missing unit"));
}

TEST(FlagsTest, GoodListenAddresses) {
  for (const char* address : {":9141", ":1", ":65535", "0.0.0.0:9141", "127.0.0.1:80", "localhost:9141",
                              "[::1]:9141", "[::]:9141", "[fe80::1]:8080"}) {
    EXPECT_EQ(ParseOk({std::string("--web.listen-address=") + address}).listen_address, address);
  }
}

TEST(FlagsTest, HelpListsEveryFlagAndExits) {
  for (const char* help : {"--help", "-h"}) {
    Result<FlagsOutcome> r = Parse({help});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->action, FlagsOutcome::Action::kExit);
    for (const char* flag : {"--zookeeper.hosts", "--zookeeper.session-timeout", "--zookeeper.auth-file",
                             "--zookeeper.max-in-flight", "--config.file", "--config.check", "--tree.root",
                             "--tree.refresh-interval", "--web.listen-address", "--web.telemetry-path",
                             "--web.scrape-timeout", "--log.level", "--log.format", "--collector.tree",
                             "--no-collector.tree", "--collector.watches", "--version"}) {
      EXPECT_THAT(r->output, HasSubstr(flag));
    }
    EXPECT_THAT(r->output, HasSubstr("127.0.0.1:2181"));  // defaults are shown
    EXPECT_THAT(r->output, HasSubstr("(default: disabled)"));
  }
}

TEST(FlagsTest, HelpWinsOverBadValues) {
  Result<FlagsOutcome> r = Parse({"--log.level=nope", "--help"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, FlagsOutcome::Action::kExit);
}

TEST(FlagsTest, VersionPrintsVersionText) {
  Result<FlagsOutcome> r = Parse({"--version"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, FlagsOutcome::Action::kExit);
  EXPECT_EQ(r->output, std::string(kVersion) + "\n");
}

}  // namespace
}  // namespace zkx::exporter

namespace zkx::exporter {
namespace {

TEST(FlagsWatchTest, RefreshModeAndWatchBudget) {
  const char* none[] = {"zookeeper_exporter"};
  Result<FlagsOutcome> d = ParseFlags(1, none, {}, "v");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->flags.tree_refresh_mode, "");
  EXPECT_EQ(d->flags.max_watch_bytes, 512U * 1024U);
  EXPECT_EQ(d->flags.watch_sessions, 4U);
  const char* set[] = {"zookeeper_exporter", "--tree.refresh-mode=watch", "--zookeeper.max-watch-bytes=65536",
                       "--zookeeper.watch-sessions=32"};
  Result<FlagsOutcome> s = ParseFlags(4, set, {}, "v");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->flags.tree_refresh_mode, "watch");
  EXPECT_EQ(s->flags.max_watch_bytes, 65536U);
  EXPECT_EQ(s->flags.watch_sessions, 32U);
  const char* one[] = {"zookeeper_exporter", "--zookeeper.watch-sessions=1"};
  Result<FlagsOutcome> o = ParseFlags(2, one, {}, "v");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->flags.watch_sessions, 1U);
  const char* too_many[] = {"zookeeper_exporter", "--zookeeper.watch-sessions=33"};
  Result<FlagsOutcome> bad = ParseFlags(2, too_many, {}, "v");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("at most 32"), std::string::npos) << bad.status().ToString();
  const char* bad_mode[] = {"zookeeper_exporter", "--tree.refresh-mode=push"};
  EXPECT_FALSE(ParseFlags(2, bad_mode, {}, "v").ok());
  const char* bad_bytes[] = {"zookeeper_exporter", "--zookeeper.max-watch-bytes=0"};
  EXPECT_FALSE(ParseFlags(2, bad_bytes, {}, "v").ok());
}

// Issue 17: a budget whose SetWatches cannot fit a default server's jute.maxbuffer (0xfffff) is refused.
TEST(FlagsWatchTest, WatchBudgetMustFitTheServersDefaultBuffer) {
  const char* fits[] = {"zookeeper_exporter", "--zookeeper.max-watch-bytes=1048543"};  // 0xfffff - 32
  Result<FlagsOutcome> ok = ParseFlags(2, fits, {}, "v");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->flags.max_watch_bytes, 1048543U);
  const char* too_big[] = {"zookeeper_exporter", "--zookeeper.max-watch-bytes=1048544"};
  Result<FlagsOutcome> bad = ParseFlags(2, too_big, {}, "v");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("jute.maxbuffer"), std::string::npos) << bad.status().ToString();
  const char* mebibytes[] = {"zookeeper_exporter", "--zookeeper.max-watch-bytes=4194304"};
  EXPECT_FALSE(ParseFlags(2, mebibytes, {}, "v").ok());
}

// Issue 16: an empty `--zookeeper.hosts=` made CLI11 take the next argument as the hosts.
TEST(FlagsTest, EmptyValueNeverTakesTheNextArgument) {
  std::string message = ParseError({"--zookeeper.hosts=", "--web.listen-address=:9141"});
  EXPECT_THAT(message, HasSubstr("--zookeeper.hosts: empty value"));
  message = ParseError({"--web.listen-address=:9141", "--web.telemetry-path=", "--log.level=debug"});
  EXPECT_THAT(message, HasSubstr("--web.telemetry-path: empty value"));
  // A value-taking flag given without one, before another flag, is refused too (never takes the flag).
  message = ParseError({"--zookeeper.hosts", "--web.listen-address=:9141"});
  EXPECT_THAT(message, HasSubstr("--zookeeper.hosts"));
  // A real value is untouched, also one that merely contains '='.
  const Flags f = ParseOk({"--zookeeper.hosts=127.0.0.1:2181", "--web.listen-address=:9141"});
  EXPECT_EQ(f.zookeeper_hosts, "127.0.0.1:2181");
}

}  // namespace
}  // namespace zkx::exporter
