#!/usr/bin/env bash
# The whole suite, after setup.sh: Catch2 natively, under ASan+UBSan and as wasm under Node
# (all through ctest), then the JS tests (node:test) and the browser tests (Chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NODE_PATH=/usr/share/nodejs
step() { printf '\n=== %s\n' "$*"; }

step "Catch2, native"
cmake --build build/native -j2
ctest --test-dir build/native --output-on-failure

step "Catch2, native with AddressSanitizer + UndefinedBehaviorSanitizer"
if [ ! -f build/asan/CMakeCache.txt ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMMA_SANITIZE=ON >/dev/null
fi
cmake --build build/asan -j2 --target core_tests
ctest --test-dir build/asan --output-on-failure

step "Catch2, wasm under Node"
cmake --build build/wasm -j2 --target core_tests
ctest --test-dir build/wasm --output-on-failure

step "JavaScript (node:test) and browser tests (Playwright + Chromium)"
node --test --test-concurrency=1 tests/js/ tests/e2e/
