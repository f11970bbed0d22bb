#!/usr/bin/env bash
# Builds the ZooKeeper C client (multi-threaded, static) WITH OpenSSL and Cyrus SASL from Debian 12's own source
# package, because Debian's libzookeeper-mt 3.8.0 is built without both. The result is cached outside every build
# directory, keyed by the pinned Debian version and this script's hash, so the ci, asan and tsan builds share one
# copy and a second run only prints the prefix.
#
#   scripts/build-zk-client.sh                 build if needed, print the install prefix on the last line
#   scripts/build-zk-client.sh --print-prefix  print the prefix only (no build; CMake calls this)
#
# Cache root: $ZKX_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/zookeeper_exporter.
# Steps: a deb-src entry for the configured suites -> `apt-get source` of the pinned version -> the .dsc's SHA-256
# pinned here, and every file checked against the .dsc -> dpkg-source -x (Debian's patches) -> zookeeper.jute.c/.h
# generated with the jute compiler (rcc.jj through javacc, compiled by the JDK) as Debian's Maven build does ->
# the client's own CMake build (WITH_OPENSSL, WITH_CYRUS_SASL) of its two static libraries, merged into one archive.
#
# The client's C source is not changed. One binary-level adjustment is made, on purpose and only in the archive:
# the client's single call to SSL_connect is renamed to zkx_zookeeper_ssl_connect (objcopy --redefine-sym), which
# zk/tls_connect_hook.cc defines. 3.8.0 sets SSL_VERIFY_PEER but never checks the server's name (no SSL_set1_host,
# no SNI); the hook sets the expected name or IP on the connection before the handshake, applies
# --zookeeper.tls.insecure-skip-verify, and classifies failures. An archive without the rename would not link.
set -euo pipefail

ZK_DEBIAN_VERSION="3.8.0-11+deb12u2"
ZK_UPSTREAM_VERSION="3.8.0"
# sha256 of zookeeper_${ZK_DEBIAN_VERSION}.dsc as published in bookworm (the .dsc in turn pins every tarball).
ZK_DSC_SHA256="a41c5eef50f98609f2dc69a24625b06564131b68c723ed14e5f26dd8693995a5"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
cache_root="${ZKX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zookeeper_exporter}"
prefix="${cache_root}/zookeeper-client-c/${ZK_DEBIAN_VERSION}-${script_hash}"

if [ "${1:-}" = "--print-prefix" ]; then
  echo "${prefix}"
  exit 0
fi
if [ -f "${prefix}/.complete" ]; then
  echo "zookeeper C client (TLS + SASL) cached in:" >&2
  echo "${prefix}"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Tools and libraries of the build (also listed in scripts/install-deps.sh).
need=(dpkg-dev javacc default-jdk-headless libssl-dev libsasl2-dev cmake make gcc binutils)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done

# A deb-src entry mirroring the configured deb822 "deb" entries (Debian 12 images use debian.sources).
src_list=/etc/apt/sources.list.d/zkx-deb-src.sources
added_src=0
if ! apt-get indextargets 2>/dev/null | grep '^MetaKey: .*/source/Sources' >/dev/null; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -n '/^Types:/,$p' /etc/apt/sources.list.d/debian.sources | sed 's/^Types: deb$/Types: deb-src/' |
      $SUDO tee "${src_list}" >/dev/null
  else
    grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee "${src_list%.sources}.list" >/dev/null
  fi
  added_src=1
fi
if [ "${#missing[@]}" -gt 0 ] || [ "${added_src}" = 1 ] || ! apt-cache showsrc "zookeeper=${ZK_DEBIAN_VERSION}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/zkx-zkclient.XXXXXX")"
trap '[ -n "${ZKX_KEEP_WORK:-}" ] || rm -rf "${work}"' EXIT
cd "${work}"

echo "fetching zookeeper ${ZK_DEBIAN_VERSION} source" >&2
apt-get source --download-only -qq "zookeeper=${ZK_DEBIAN_VERSION}" >&2 2>/dev/null || apt-get source --download-only "zookeeper=${ZK_DEBIAN_VERSION}" >&2
dsc="zookeeper_${ZK_DEBIAN_VERSION}.dsc"
echo "${ZK_DSC_SHA256}  ${dsc}" | sha256sum -c --quiet - >&2
# Every file the .dsc names must match its Checksums-Sha256 line.
sed -n '/^Checksums-Sha256:/,/^[A-Za-z]/p' "${dsc}" | awk 'NF==3 {print $1 "  " $3}' > sums.sha256
[ "$(wc -l < sums.sha256)" -ge 2 ] || { echo "no Checksums-Sha256 in ${dsc}" >&2; exit 1; }
sha256sum -c --quiet sums.sha256 >&2
dpkg-source --no-check -x "${dsc}" src >/dev/null

client="${work}/src/zookeeper-client/zookeeper-client-c"
jute="${work}/src/zookeeper-jute"

echo "generating zookeeper.jute.c/.h with the jute compiler" >&2
mkdir -p jj classes "${client}/generated"
javacc -OUTPUT_DIRECTORY="${work}/jj" "${jute}/src/main/java/org/apache/jute/compiler/generated/rcc.jj" >/dev/null
javac -nowarn -encoding UTF-8 -d classes "${jute}"/src/main/java/org/apache/jute/compiler/*.java jj/*.java 2>/dev/null ||
  javac -encoding UTF-8 -d classes "${jute}"/src/main/java/org/apache/jute/compiler/*.java jj/*.java >&2
(cd "${client}/generated" &&
  java -cp "${work}/classes" org.apache.jute.compiler.generated.Rcc -l c "${jute}/src/main/resources/zookeeper.jute" >/dev/null)
[ -s "${client}/generated/zookeeper.jute.c" ] && [ -s "${client}/generated/zookeeper.jute.h" ]

echo "building the C client with OpenSSL and Cyrus SASL" >&2
cmake -S "${client}" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWANT_CPPUNIT=OFF -DWANT_SYNCAPI=ON \
  -DWITH_OPENSSL=ON -DWITH_CYRUS_SASL=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON >build.log 2>&1 ||
  { cat build.log >&2; exit 1; }
grep -q "will build with SSL support" build.log || { cat build.log >&2; echo "OpenSSL not found" >&2; exit 1; }
grep -q "will build with SASL support" build.log || { cat build.log >&2; echo "Cyrus SASL not found" >&2; exit 1; }
cmake --build build --target zookeeper hashtable -j"$(nproc)" >>build.log 2>&1 || { cat build.log >&2; exit 1; }

stage="${prefix}.partial"
rm -rf "${stage}"
mkdir -p "${stage}/include/zookeeper" "${stage}/lib"
cp "${client}"/include/{zookeeper.h,zookeeper_log.h,zookeeper_version.h,proto.h,recordio.h} \
  "${client}/generated/zookeeper.jute.h" "${stage}/include/zookeeper/"
printf 'create %s\naddlib %s\naddlib %s\nsave\nend\n' "${stage}/lib/libzookeeper_mt.a" \
  "${work}/build/libzookeeper.a" "${work}/build/libhashtable.a" | ar -M
objcopy --redefine-sym SSL_connect=zkx_zookeeper_ssl_connect "${stage}/lib/libzookeeper_mt.a"
nm "${stage}/lib/libzookeeper_mt.a" > "${work}/symbols.txt" 2>/dev/null
for want in ' T zookeeper_init_ssl$' ' T zookeeper_init_sasl$' ' U zkx_zookeeper_ssl_connect$'; do
  grep -q "${want}" "${work}/symbols.txt" || { echo "libzookeeper_mt.a lacks '${want}'" >&2; exit 1; }
done
if grep -q ' U SSL_connect$' "${work}/symbols.txt"; then
  echo "SSL_connect still referenced after the rename" >&2; exit 1
fi
{
  echo "debian_version=${ZK_DEBIAN_VERSION}"
  echo "upstream_version=${ZK_UPSTREAM_VERSION}"
  echo "dsc_sha256=${ZK_DSC_SHA256}"
  echo "script_sha256_12=${script_hash}"
  echo "features=openssl,cyrus-sasl"
} > "${stage}/BUILD_INFO"
touch "${stage}/.complete"
rm -rf "${prefix}"
mv "${stage}" "${prefix}"
echo "zookeeper C client (TLS + SASL) built in:" >&2
echo "${prefix}"
