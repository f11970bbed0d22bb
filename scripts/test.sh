#!/usr/bin/env bash
# The README's second command: installs what is needed, builds, and runs every test.
#   0-1. lint gate (scripts/lint.sh): clang-format over every tracked .h/.cc/.c, then clang-tidy over the
#      libraries' sources with the tsa preset's compile commands (clang -Wthread-safety as errors): style,
#      the tidy checks and the thread-safety analysis in one pass, no build;
#   2. ci preset (warnings are errors): unit, integration (real 3-node ZooKeeper ensembles) and end-to-end
#      (ensemble + exporter + a real Prometheus) tests, plus promtool on the exposition; then the container tests
#      (label container: the image built and run, the Kubernetes pod under `podman kube play`);
#   3. asan preset (ASan + UBSan): unit and integration tests;
#   4. tsan preset (ThreadSanitizer): unit and integration tests;
#   5. the libFuzzer targets (parsers of what servers send, of the config file, durations and znode patterns), 15 s each.
# Set ZKX_TEST_QUICK=1 to run only steps 0-2.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The ZooKeeper C client with TLS and SASL, from Debian's source (cached across runs and presets).
zk_client_start=$(date +%s)
scripts/build-zk-client.sh >/dev/null
echo "=== ZooKeeper C client (TLS + SASL) ready in $(( $(date +%s) - zk_client_start )) s"
JOBS="${ZKX_JOBS:-$(nproc)}"

run_preset() {
  local preset="$1"; shift
  echo "=== [$preset] configure + build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
  echo "=== [$preset] test $*"
  ctest --preset "$preset" "$@"
}

start=$(date +%s)
echo "=== [lint] clang-format, clang-tidy and clang's thread-safety analysis (tsa preset)"
lint_start=$(date +%s)
cmake --preset tsa >/dev/null
scripts/lint.sh build/tsa
echo "=== [lint] took $(( $(date +%s) - lint_start ))s"
run_preset ci --timeout 600 -LE container
# The image and the pod (podman; tests/container): scripts/container-images.sh builds the base image (debootstrap,
# reused while it exists locally) and both images once, as the fixture every container test needs.
echo "=== [ci] test -L container"
container_start=$(date +%s)
ctest --preset ci -L container --timeout 1800
echo "=== [ci] container tests took $(( $(date +%s) - container_start ))s"
if [ -z "${ZKX_TEST_QUICK:-}" ]; then
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_preset asan -L "unit|integration" --timeout 900
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" run_preset tsan -L "unit|integration" --timeout 900
  scripts/fuzz.sh 15
fi
echo "=== all tests passed in $(( $(date +%s) - start ))s"
