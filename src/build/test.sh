#!/usr/bin/env bash
# The whole suite, after setup.sh: Catch2 natively, under ASan+UBSan and as wasm under Node
# (all through ctest), then the JS tests (node:test) and the browser tests (Chromium, Firefox
# and WebKit; EMMA_ENGINES=chromium narrows them).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NODE_PATH=/usr/share/nodejs
# Each step says how long the run has taken so far, so slow steps show in CI's log.
step() { printf '\n=== %s (at %d s)\n' "$*" "$SECONDS"; }
# ctest, showing Catch2's own summary (assertions and cases) and everything on failure.
run_ctest() {
  if ! ctest --test-dir "$1" --output-on-failure -V > "$1/ctest.log" 2>&1; then
    cat "$1/ctest.log"
    return 1
  fi
  grep -E 'All tests passed|tests passed' "$1/ctest.log"
}
# Builds quietly; shows the compiler's output only when the build fails.
build() {
  local dir=$1; shift
  if ! cmake --build "$dir" -j2 "$@" > "$dir/build.log" 2>&1; then
    cat "$dir/build.log"
    return 1
  fi
}

step "Catch2, native"
build build/native
run_ctest build/native

step "Catch2, native with AddressSanitizer + UndefinedBehaviorSanitizer"
if [ ! -f build/asan/CMakeCache.txt ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMMA_SANITIZE=ON >/dev/null
fi
build build/asan --target core_tests
run_ctest build/asan

step "Catch2, wasm under Node"
build build/wasm --target core_tests
run_ctest build/wasm

step "Fuzz smoke run (libFuzzer + ASan; long runs: bash tests/fuzz/run.sh 3600)"
bash tests/fuzz/run.sh "${EMMA_FUZZ_SECONDS:-20}"

# Last, so that node:test's summary closes the output.
step "JavaScript (node:test) and browser tests (Chromium, Firefox, WebKit: tests/e2e/drivers/)"
node --test --test-concurrency=1 tests/js/ tests/e2e/
step "done"
