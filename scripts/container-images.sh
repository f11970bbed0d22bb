#!/usr/bin/env bash
# Builds the container images that tests/container uses, once per run, with podman from Debian's packages
# (no container registry is reachable on the CI machines). Prints one "image: seconds, size" line per image.
#   docker.io/library/debian:12 (and :12-slim)  the base: a debootstrap of bookworm, imported once and
#                                               reused while it exists locally (ZKX_REBUILD_BASE=1 remakes it)
#   localhost/zookeeper-exporter:test           deploy/docker/Dockerfile (see its header for the two ways)
#   localhost/zookeeper-debian:test             deploy/docker/zookeeper.Dockerfile (Debian's zookeeper package)
# Usage: scripts/container-images.sh [--prebuilt BUILD_DIR]
#   --prebuilt BUILD_DIR  put the exporter that BUILD_DIR already built into the runtime image (the Dockerfile's
#                         `prebuilt` target) instead of compiling it again in the image's build stage. CI uses
#                         this: the `ci` preset has just built the same sources on the same Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

PREBUILT=""
if [ "${1:-}" = "--prebuilt" ]; then PREBUILT="$(cd "$2" && pwd)"; fi

# crun refuses this kind of host's hybrid cgroups: build with chroot isolation, run with runc + cgroupfs.
export BUILDAH_ISOLATION=chroot
PODMAN=(podman --runtime=runc --cgroup-manager=cgroupfs)
BUILD=("${PODMAN[@]}" build --isolation=chroot --network=host)

elapsed() { echo $(( $(date +%s) - $1 )); }
size() { "${PODMAN[@]}" image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }

# ---- base image
t=$(date +%s)
if [ -n "${ZKX_REBUILD_BASE:-}" ] || ! "${PODMAN[@]}" image exists docker.io/library/debian:12; then
  rootfs="$(mktemp -d /tmp/zkx-rootfs.XXXXXX)"
  # debootstrap mounts /proc (and may leave it mounted when it fails): unmount before removing anything.
  cleanup() { umount -R "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true; rm -rf --one-file-system "$rootfs"; }
  trap cleanup EXIT
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  # Like Debian's official image: the point release plus its updates and security archives.
  printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\n%s\n' \
    'deb http://deb.debian.org/debian-security bookworm-security main' >"$rootfs/etc/apt/sources.list"
  # apt inside the image: no recommends, no documentation (keeps both images small)
  printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/90norecommends"
  printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/90nodoc"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --one-file-system -c . | "${PODMAN[@]}" import - docker.io/library/debian:12 >/dev/null
  cleanup
  trap - EXIT
  echo "base debian:12 (debootstrap): $(elapsed "$t") s, $(size docker.io/library/debian:12)"
else
  echo "base debian:12: reused the local image"
fi
"${PODMAN[@]}" tag docker.io/library/debian:12 docker.io/library/debian:12-slim

# ---- the exporter
t=$(date +%s)
if [ -n "$PREBUILT" ]; then
  # The context is only what `cmake --install` puts under the prefix (bin/, lib/zookeeper_exporter/).
  ctx="$(mktemp -d /tmp/zkx-prebuilt.XXXXXX)"
  cmake --install "$PREBUILT" --prefix "$ctx" --strip >/dev/null
  "${BUILD[@]}" --target prebuilt -t localhost/zookeeper-exporter:test -f deploy/docker/Dockerfile "$ctx" >/dev/null
  rm -rf "$ctx"
  how="prebuilt from $PREBUILT"
else
  "${BUILD[@]}" -t localhost/zookeeper-exporter:test -f deploy/docker/Dockerfile \
    --ignorefile deploy/docker/.dockerignore . >/dev/null
  how="compiled in the build stage"
fi
echo "zookeeper-exporter:test ($how): $(elapsed "$t") s, $(size localhost/zookeeper-exporter:test)"

# ---- ZooKeeper from Debian's package
t=$(date +%s)
"${BUILD[@]}" -t localhost/zookeeper-debian:test -f deploy/docker/zookeeper.Dockerfile deploy/docker >/dev/null
echo "zookeeper-debian:test: $(elapsed "$t") s, $(size localhost/zookeeper-debian:test)"
