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
#
# The asan, tsan and fuzz builds run in the background at idle CPU priority (SCHED_IDLE) from the moment the ci
# build is done: the ci preset's integration and end-to-end tests spend most of their time waiting on servers, and
# an idle-priority compiler only takes the CPU they leave. Each later step waits for its own build; a failed
# background build prints its log and fails the run. Its output is in build/background-builds.log.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The ZooKeeper C client with TLS and SASL, from Debian's source (cached across runs and presets).
zk_client_start=$(date +%s)
scripts/build-zk-client.sh >/dev/null
echo "=== ZooKeeper C client (TLS + SASL) ready in $(( $(date +%s) - zk_client_start )) s"
JOBS="${ZKX_JOBS:-$(nproc)}"

# Configures and builds one preset (the ci one here, the others in the background below).
build_preset() {
  cmake --preset "$1" >/dev/null && cmake --build --preset "$1" -j "$JOBS"
}
# Runs one built preset's tests; the arguments after the preset go to ctest.
test_preset() {
  local preset="$1"; shift
  echo "=== [$preset] test $*"
  ctest --preset "$preset" "$@"
}

start=$(date +%s)
echo "=== [lint] clang-format, clang-tidy and clang's thread-safety analysis (tsa preset)"
lint_start=$(date +%s)
cmake --preset tsa >/dev/null
scripts/lint.sh build/tsa
echo "=== [lint] took $(( $(date +%s) - lint_start ))s"
echo "=== [ci] configure + build"
build_preset ci

# The sanitizer and fuzz builds, one after the other, at idle priority; build/background-builds/<step>.ok or
# .failed marks each. Nothing in them reads what the ci tests write.
background_dir="build/background-builds"
background_log="build/background-builds.log"
background_pid=""
if [ -z "${ZKX_TEST_QUICK:-}" ]; then
  rm -rf "$background_dir"
  mkdir -p "$background_dir"
  : >"$background_log"
  set -m  # the background builds get their own process group, so an early exit can stop all of them
  (
    chrt --idle -p 0 "$BASHPID" >/dev/null 2>&1 || renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true
    for step in asan tsan fuzz; do
      step_start=$(date +%s)
      case "$step" in
        fuzz) build_step=(scripts/fuzz.sh --build-only) ;;
        *) build_step=(build_preset "$step") ;;
      esac
      if "${build_step[@]}" >>"$background_log" 2>&1; then
        echo "$(( $(date +%s) - step_start ))" >"$background_dir/$step.ok"
      else
        touch "$background_dir/$step.failed"
        exit 1
      fi
    done
  ) </dev/null &
  background_pid=$!
  set +m
  trap 'kill -- "-$background_pid" 2>/dev/null || true' EXIT
fi

# Waits until the background build of $1 is done; prints its log and fails if it failed.
wait_for_background_build() {
  local step="$1" wait_start
  wait_start=$(date +%s)
  while [ ! -e "$background_dir/$step.ok" ]; do
    if [ -e "$background_dir/$step.failed" ] || ! kill -0 "$background_pid" 2>/dev/null; then
      [ -e "$background_dir/$step.ok" ] && break
      echo "!! the background $step build failed:"
      tail -n 200 "$background_log"
      exit 1
    fi
    sleep 5
  done
  echo "=== [$step] background build took $(cat "$background_dir/$step.ok")s; waited $(( $(date +%s) - wait_start ))s for it"
}

test_preset ci --timeout 600 -LE container
# The image and the pod (podman; tests/container): scripts/container-images.sh builds the base image (debootstrap,
# reused while it exists locally) and both images once, as the fixture every container test needs.
echo "=== [ci] test -L container"
container_start=$(date +%s)
ctest --preset ci -L container --timeout 1800
echo "=== [ci] container tests took $(( $(date +%s) - container_start ))s"
if [ -z "${ZKX_TEST_QUICK:-}" ]; then
  wait_for_background_build asan
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    test_preset asan -L "unit|integration" --timeout 900
  wait_for_background_build tsan
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" test_preset tsan -L "unit|integration" --timeout 900
  wait_for_background_build fuzz
  scripts/fuzz.sh 15
fi
echo "=== all tests passed in $(( $(date +%s) - start ))s"
