#!/usr/bin/env bash
# The lint gate: every tracked C/C++ source and header must be formatted as .clang-format says
# (clang-format --dry-run -Werror prints each violation and fails). Fix with: clang-format -i <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.c' | grep -v '^tests/fuzz/corpus/')
echo "== clang-format check (${#files[@]} files)"
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format OK"
