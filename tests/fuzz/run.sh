#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, ASan) and runs each for N seconds (default 20: the
# smoke run inside `npm test`). Longer runs: bash tests/fuzz/run.sh 3600
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
if [ ! -f build/fuzz/CMakeCache.txt ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMMA_FUZZ=ON >/dev/null
fi
cmake --build build/fuzz -j2 >/dev/null
for target in build/fuzz/*_fuzzer; do
  [ -f "$target" ] && [ -x "$target" ] || continue  # corpus-*_fuzzer folders match the glob too
  name=$(basename "$target")
  corpus=build/fuzz/corpus-$name
  mkdir -p "$corpus"
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -artifact_prefix=build/fuzz/ \
       "$corpus" tests/fuzz/corpus tests/fuzz/regressions > "build/fuzz/$name.log" 2>&1; then
    tail -n 60 "build/fuzz/$name.log"
    echo "fuzz: $name FAILED (crash input saved under build/fuzz/)"
    exit 1
  fi
  grep -E 'stat::number_of_executed_units' "build/fuzz/$name.log"
done
