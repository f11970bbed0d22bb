#!/usr/bin/env bash
# Installs every build, test and demo dependency from Debian 12's packages. Idempotent.
set -euo pipefail

PACKAGES=(
  # toolchain (clang + its runtime for the libFuzzer targets; clang-format/clang-tidy for scripts/lint.sh)
  build-essential cmake ninja-build git ca-certificates curl clang libclang-rt-14-dev clang-format clang-tidy
  # libraries the exporter links
  libzookeeper-mt-dev prometheus-cpp-dev libcivetweb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcli11-dev nlohmann-json3-dev zlib1g-dev libssl-dev
  # tests
  libgtest-dev libgmock-dev
  # a real ZooKeeper ensemble (3.8) and a real Prometheus (2.42, with promtool)
  zookeeper default-jre-headless libservlet-api-java libslf4j-java prometheus
  # the container tests (label `container`, scripts/container-images.sh): podman with runc, a debootstrap base,
  # catatonit for the pods' infra container
  podman runc debootstrap uidmap slirp4netns fuse-overlayfs catatonit
  # the ZooKeeper C client with TLS + SASL from Debian's source (scripts/build-zk-client.sh), and SASL at run time
  dpkg-dev javacc default-jdk-headless libsasl2-dev libsasl2-modules binutils
  # SASL GSSAPI: Cyrus SASL's Kerberos plugin at run time; a throw-away MIT KDC for the `secure` tests
  # (tests/support/kdc.h; its services stay stopped, the tests start krb5kdc on a loopback port)
  libsasl2-modules-gssapi-mit krb5-kdc krb5-admin-server krb5-user
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  # The zookeeper and prometheus packages ship services; we never use them (the harness starts its own
  # servers on free loopback ports), so keep them from starting when they are installed.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's prometheus package starts a server on :9090 where systemd runs; ours are started by hand.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
echo "dependencies OK"
