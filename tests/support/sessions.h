#pragma once
// Sessions for integration tests against a real ensemble (tests/support/zk_ensemble.h): the one helper to
// create and start a zk::Session, and to find the member that holds it. Header-only: the tests that use it
// link zkx::zk and GoogleTest already. A failure to create is reported as a test failure and returns nullptr.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "zk/session.h"

namespace zkx::test {

// Options for `hosts` with the tests' usual session timeout (10 s).
inline zk::SessionOptions TestSessionOptions(
    const std::string& hosts, std::chrono::milliseconds timeout = std::chrono::seconds(10),
    std::optional<zk::DigestCredentials> credentials = std::nullopt) {
  zk::SessionOptions o;
  o.hosts = hosts;
  o.session_timeout = timeout;
  o.credentials = std::move(credentials);
  return o;
}

// Created, not started.
inline std::unique_ptr<zk::Session> NewSession(zk::SessionOptions options) {
  Result<std::unique_ptr<zk::Session>> s = zk::Session::Create(std::move(options));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

// Created and started; not waited for.
inline std::unique_ptr<zk::Session> StartSession(zk::SessionOptions options) {
  std::unique_ptr<zk::Session> s = NewSession(std::move(options));
  if (s) s->Start();
  return s;
}

// Created, started and connected (within 30 s).
inline std::unique_ptr<zk::Session> ConnectedSession(zk::SessionOptions options) {
  std::unique_ptr<zk::Session> s = StartSession(std::move(options));
  if (!s) return nullptr;
  EXPECT_TRUE(WaitFor([&] { return s->Connected(); }, std::chrono::milliseconds(30000)));
  return s;
}

// The same for `hosts` with TestSessionOptions.
inline std::unique_ptr<zk::Session> NewSession(
    const std::string& hosts, std::optional<zk::DigestCredentials> credentials = std::nullopt) {
  return NewSession(TestSessionOptions(hosts, std::chrono::seconds(10), std::move(credentials)));
}
inline std::unique_ptr<zk::Session> StartSession(
    const std::string& hosts, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return StartSession(TestSessionOptions(hosts, timeout));
}
inline std::unique_ptr<zk::Session> ConnectedSession(
    const std::string& hosts, std::optional<zk::DigestCredentials> credentials = std::nullopt) {
  return ConnectedSession(TestSessionOptions(hosts, std::chrono::seconds(10), std::move(credentials)));
}

// The member whose `cons` lists the session id, or -1.
inline int ServerHoldingSession(const ZkEnsemble& ensemble, int64_t session_id) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "sid=0x%" PRIx64, static_cast<uint64_t>(session_id));
  for (int i = 0; i < ensemble.size(); ++i) {
    Result<std::string> cons = ensemble.FourLetterWord(i, "cons");
    if (cons.ok() && cons->find(hex) != std::string::npos) return i;
  }
  return -1;
}

}  // namespace zkx::test
