#!/usr/bin/env bash
# Fuzzes the parsers of what a ZooKeeper server sends (mntr / srvr / wchs / wchp text, the AdminServer's HTTP
# and JSON replies), the connect-string parser, and the parsers of what the operator writes (the YAML config
# file, durations, znode patterns and paths) with libFuzzer + ASan + UBSan.
#
#   scripts/fuzz.sh [seconds-per-target]     (default 30)
#   scripts/fuzz.sh --build-only             (configure and build the targets, run nothing; scripts/test.sh)
#
# Configures build/fuzz with clang (CC=clang CXX=clang++ -DZKX_FUZZ=ON; needs the clang and libclang-rt-14-dev
# packages), builds the targets, and runs each for the given time on a temporary copy of its seed corpus
# (tests/fuzz/corpus/<target>/), so runs never write into the repository. Exits non-zero if any target
# crashes, leaks or times out; the reproducer is copied to build/fuzz/artifacts/.
set -euo pipefail

build_only=0
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
fi
seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [--build-only] [seconds-per-target]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
targets=(mntr_parser admin_json_parser connect_string config_yaml duration znode_pattern value_decoder)

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DZKX_FUZZ=ON -DZKX_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fuzzers=()
for t in "${targets[@]}"; do fuzzers+=("${t}_fuzz"); done
cmake --build "$build" -j2 --target "${fuzzers[@]}"
if [ "$build_only" -eq 1 ]; then
  exit 0
fi

work="$(mktemp -d /tmp/zkx-fuzz-XXXXXX)"
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$work/$t-artifacts"
  cp "$root/tests/fuzz/corpus/$t/"* "$work/$t/"
  echo "== ${t}_fuzz: ${seconds}s"
  rc=0
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$t-artifacts/" "$work/$t" >"$work/$t.log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)' \
    "$work/$t.log" || true
  grep -E '^#[0-9]+ *DONE' "$work/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "!! ${t}_fuzz failed (exit $rc):"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/$t.log" | head -20 || true
    mkdir -p "$build/artifacts"
    cp "$work/$t-artifacts/"* "$build/artifacts/" 2>/dev/null || true
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzzing found a crash: reproducers in $build/artifacts/"
  exit 1
fi
echo "fuzzing OK: ${#targets[@]} targets x ${seconds}s, no crash"
