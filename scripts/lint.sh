#!/usr/bin/env bash
# Style and static checks: clang-format (no diff allowed) and clang-tidy (.clang-tidy, warnings are errors)
# over the project's own sources. Needs a configured build for compile_commands.json (default build/ci).
#   scripts/lint.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/ci}
mapfile -t sources < <(git ls-files 'base/*.cc' 'zk/*.cc' 'server/*.cc' 'collectors/*.cc' 'exporter/*.cc')
mapfile -t all < <(git ls-files '*.h' '*.cc' '*.c' | grep -v '^tests/fuzz/corpus/')

echo "== clang-format (${#all[@]} files)"
clang-format --dry-run -Werror "${all[@]}"

echo "== clang-tidy (${#sources[@]} files, $BUILD)"
[ -f "$BUILD/compile_commands.json" ] || { echo "configure $BUILD first (cmake --preset ci)"; exit 1; }
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD" --quiet 2>/dev/null
echo "lint OK"
