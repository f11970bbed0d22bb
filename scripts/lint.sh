#!/usr/bin/env bash
# The lint gate, the first step of scripts/test.sh (CI):
#   - clang-format: no diff allowed (scripts/format-check.sh);
#   - clang-tidy (.clang-tidy, warnings are errors) over the project's own sources, with the compile commands
#     of the `tsa` preset: clang with -Wthread-safety as errors, so clang's thread-safety analysis of the
#     GUARDED_BY/REQUIRES annotations runs in the same pass and needs no build of its own.
#   scripts/lint.sh [build-dir]   (default build/tsa, configured here when it is not yet)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/tsa}
scripts/format-check.sh
if [ ! -f "$BUILD/compile_commands.json" ]; then
  [ "$BUILD" = build/tsa ] || { echo "configure $BUILD first"; exit 1; }
  cmake --preset tsa >/dev/null
fi
mapfile -t sources < <(git ls-files 'base/*.cc' 'zk/*.cc' 'server/*.cc' 'collectors/*.cc' 'exporter/*.cc')
echo "== clang-tidy and thread-safety analysis (${#sources[@]} files, $BUILD)"
# Findings go to stdout; stderr only counts the warnings suppressed in system headers.
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD" --quiet 2>/dev/null
echo "lint OK"
