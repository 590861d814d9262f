#!/usr/bin/env bash
# Fails if clang-format (with the repository's .clang-format) would change any C/C++ file.
set -euo pipefail
clang_format=$1
cd "$2"
mapfile -t files < <(find engine eventlog queue orchestration-layer bench tests \
  -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' \) | sort)
"$clang_format" --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
