#!/usr/bin/env bash
# Installs and builds everything `npm test` and `npm run demo` need. Idempotent: a second run
# installs nothing, skips libsodium and `npm ci`, and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { echo "setup: $*" >&2; }

# emcc's JS optimizer needs Debian's acorn (TOOLCHAIN.md).
export NODE_PATH=/usr/share/nodejs

# --- 1. Debian packages --------------------------------------------------------------
# Why each: emscripten (the wasm compiler), nlohmann-json3-dev and catch2 (header-only
# libraries of the core and its tests), libsodium-dev + pkg-config (native libsodium),
# cmake/g++ (native build), chromium (browser tests), autoconf/automake/libtool/dpkg-dev
# (build libsodium for wasm from Debian's source package), clang-14 + libclang-rt-14-dev
# (libFuzzer targets), libexpat1-dev (emma-model reads Google Merchant XML feeds as a stream
# with expat: a kept parser instead of our own, and a 1M-item feed never held as a document),
# postgresql-15 and clickhouse-server (the bundle's counting SQL is tested on both, each
# started by the test in a temporary folder; no service is enabled; about 20 s to install);
# firefox-esr, and webkit2gtk-driver (WebKitWebDriver, and through libwebkit2gtk-4.1-0 the
# MiniBrowser it drives) with xvfb + xauth (MiniBrowser has no headless mode): the browser
# tests run in Firefox and WebKit too, as shoppers do.
packages=(emscripten nlohmann-json3-dev catch2 libsodium-dev pkg-config cmake g++ chromium
          autoconf automake libtool dpkg-dev clang-14 libclang-rt-14-dev libexpat1-dev
          postgresql-15 clickhouse-server firefox-esr webkit2gtk-driver xvfb xauth)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; run as root, or: apt-get install ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  bash src/build/apt-install.sh --update "${missing[@]}"
fi

# --- 2. npm modules, only when the lock file changed -----------------------------------
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.emma-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  log "npm ci"
  # puppeteer-core drives Debian's firefox-esr: no browser build of its own is fetched.
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >&2
  echo "$lock_sum" > node_modules/.emma-lock-sum
fi

# --- 3. libsodium for wasm32, cached by Debian source version --------------------------
# Twice: for size (the page engines) and for speed (Argon2id in the engines that run it).
sodium_prefix=$(bash src/build/build-libsodium-wasm.sh | tail -n 1)
sodium_fast_prefix=$(EMMA_SODIUM_CFLAGS="-O2 -flto" bash src/build/build-libsodium-wasm.sh | tail -n 1)

# --- 4. the native build (tools, tests) and the wasm build (engine) --------------------
if [ ! -f build/native/CMakeCache.txt ]; then
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build build/native -j2 --target emma-model >&2

# Configure again when libsodium's build changed (its flags are part of its cache key).
if [ ! -f build/wasm/CMakeCache.txt ] || ! grep -qxF "SODIUM_WASM_PREFIX:UNINITIALIZED=$sodium_prefix" build/wasm/CMakeCache.txt ||
   ! grep -qxF "SODIUM_WASM_FAST_PREFIX:UNINITIALIZED=$sodium_fast_prefix" build/wasm/CMakeCache.txt; then
  # Debian's toolchain file sets an emulator flag Node 20 rejects (TOOLCHAIN.md).
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release -DSODIUM_WASM_PREFIX="$sodium_prefix" \
    -DSODIUM_WASM_FAST_PREFIX="$sodium_fast_prefix" \
    -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >&2
fi
cmake --build build/wasm -j2 --target emma_web emma_node emma_embed emma_embed_shards emma_embed_rights >&2

# Ship the engine into the npm package folder; copy only what changed. The browser and Node
# glue are linked separately but must share one .wasm, so only one is shipped.
if ! cmp -s build/wasm/emma.wasm build/wasm/emma-node.wasm; then
  echo "setup: the browser and Node builds produced different .wasm files; ship both or fix the link flags" >&2
  exit 1
fi
mkdir -p js-bindings/dist
rm -f js-bindings/dist/emma-node.wasm
for f in emma.mjs emma.wasm emma-node.cjs; do
  cmp -s "build/wasm/$f" "js-bindings/dist/$f" || cp "build/wasm/$f" "js-bindings/dist/$f"
done

# --- 5. the demo shop's bundle: its catalog plus the popularity windows and co-purchase
# neighbours of the Online Retail orders before the catalog's cut-off date (the dataset is
# beside the repository, in shared/); without the dataset, the catalog alone; both with the
# demo's offers (demo/offers.json) -----------------------------------------------------------
orders=../shared/datasets/online-retail-uci/by-day
mkdir -p build/demo
if [ ! -f build/demo/shop.bundle ] || [ demo/catalog.json -nt build/demo/shop.bundle ] ||
   [ demo/offers.json -nt build/demo/shop.bundle ] || [ build/native/emma-model -nt build/demo/shop.bundle ]; then
  if [ -d "$orders" ]; then
    build/native/emma-model build --orders "$orders" --catalog demo/catalog.json --until 2011-09-01 \
      --offers demo/offers.json --out build/demo/shop.bundle >&2
  else
    log "no $orders: the demo bundle holds the catalog only (no bought-together, no trending windows)"
    build/native/emma-model pack --catalog demo/catalog.json --offers demo/offers.json --out build/demo/shop.bundle
  fi
fi

# --- 6. the embed script: web/dist is what a shop deploys as /emma/ (esbuild; skipped when
# nothing changed), with the engines built without sync (build/wasm/emma-embed.*, and
# emma-embed-shards.* for sharded catalogs) -----------------------------------------------
node web/build.mjs >&2

node src/build/size-report.mjs >&2
log "ready after ${SECONDS} s"
