#!/usr/bin/env bash
# Build a static libsodium for wasm32 (Emscripten) from Debian's source package and cache it.
# Usage: prefix=$(bash src/build/build-libsodium-wasm.sh | tail -n1)
# Only the install prefix goes to stdout (last line); all logs go to stderr.
# Runs as root on Debian 12 (it may add a deb-src entry and run apt-get update).
set -euo pipefail

# Keep stdout clean for callers: fd 3 is the real stdout, everything else goes to stderr.
exec 3>&1 1>&2
log() { echo "build-libsodium-wasm: $*"; }
die() { log "ERROR: $*"; exit 1; }

cache="${EMMA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tante-emma}"

# Key the cache by the Debian source version: the same version as the native libsodium-dev,
# so native and wasm builds use the same libsodium. Fast (no apt index needed).
ver=$(dpkg-query -W -f='${source:Version}' libsodium-dev 2>/dev/null || true)
# The compiler flags are part of the key too: a build with other flags is another build.
# -Oz -flto (the default): LTO lets the engine's link drop and shrink across libsodium's files;
# the page engines link this build. setup.sh also builds EMMA_SODIUM_CFLAGS="-O2 -flto" for the
# engines that run Argon2id (the npm package's, the embed's engine with the shopper's rights):
# 1.2 KB brotli more, Argon2id twice as fast (src/tools/bench/RESULTS.md, "Argon2id where it runs").
sodium_cflags=${EMMA_SODIUM_CFLAGS:--Oz -flto}
flavour=$(printf '%s' "$sodium_cflags" | tr -cs 'A-Za-z0-9' '-' | sed 's/^-//; s/-$//')
stamp_of() { echo "$cache/libsodium-wasm-$1-$flavour/.complete"; }

# Fast path: a complete build exists -> print the prefix, nothing else.
if [[ -n "$ver" && -e "$(stamp_of "$ver")" ]]; then
  echo "$cache/libsodium-wasm-$ver-$flavour" >&3; exit 0
fi

# Prerequisites, with the Debian package that provides each tool.
for t in emcc:emscripten emconfigure:emscripten emmake:emscripten autoconf:autoconf \
         automake:automake libtoolize:libtool make:make dpkg-source:dpkg-dev apt-get:apt; do
  command -v "${t%%:*}" >/dev/null || die "'${t%%:*}' not found: apt-get install ${t#*:}" \
    "(all needed: emscripten autoconf automake libtool make dpkg-dev)"
done
[[ $(id -u) -eq 0 ]] || die "must run as root (it may add a deb-src apt entry and run apt-get update)"

# Serialize concurrent runs (e.g. parallel test jobs) so they don't build into the same folder.
mkdir -p "$cache"
exec 9>"$cache/.libsodium-wasm.lock"
flock 9

# apt-get source needs a deb-src entry. Derive it from the machine's own deb entries (so no
# registry host name lives in this repo): deb822 stanzas are copied with Types: deb-src, one-line
# "deb [opts] uri suite comps" entries are converted to deb822.
srcfile=/etc/apt/sources.list.d/tante-emma-src.sources
if ! grep -qsiE '^[[:space:]]*Types:.*[[:space:]]deb-src([[:space:]]|$)' /etc/apt/sources.list.d/*.sources &&
   ! grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
  log "no deb-src entry: writing $srcfile from the existing deb entries"
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -e "$f" ]] || continue
      awk 'function flush() { if (keep) print buf; buf = ""; keep = 0 }
           /^[ \t]*$/ { flush(); next }
           tolower($0) ~ /^types:/ { n = split($0, t, /[ \t]+/)
             for (i = 2; i <= n; i++) if (t[i] == "deb") keep = 1
             $0 = "Types: deb-src" }
           { buf = buf $0 "\n" }
           END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -e "$f" ]] || continue
      awk '/^[ \t]*deb[ \t]/ { sub(/#.*/, ""); sub(/^[ \t]*deb[ \t]+/, ""); opts = ""
             if (substr($0, 1, 1) == "[") { e = index($0, "]"); opts = substr($0, 2, e - 2); $0 = substr($0, e + 1) }
             n = split($0, w, " "); if (n < 2) next
             print "Types: deb-src"; print "URIs: " w[1]; print "Suites: " w[2]
             c = ""; for (i = 3; i <= n; i++) c = c " " w[i]; if (c != "") print "Components:" c
             m = split(opts, o, " ")
             for (i = 1; i <= m; i++) { k = substr(o[i], 1, index(o[i], "=") - 1); v = substr(o[i], index(o[i], "=") + 1)
               if (k == "arch") k = "Architectures"; else if (k == "lang") k = "Languages"; else if (k == "target") k = "Targets"
               gsub(/,/, " ", v); print k ": " v }
             print "" }' "$f"
    done
  } > "$srcfile.tmp"
  [[ -s "$srcfile.tmp" ]] || { rm -f "$srcfile.tmp"; die "no 'deb' apt source found to derive a deb-src entry from"; }
  mv "$srcfile.tmp" "$srcfile"
fi
# Refresh the index once if the source package is not known yet (new entry, or an earlier
# run was interrupted before its apt-get update finished).
if ! apt-cache showsrc libsodium 2>/dev/null | grep -q '^Package:'; then
  log "apt-get update (to index the deb-src entry)"
  bash "$(dirname "$0")/apt-install.sh" --update
fi
# libsodium-dev not installed: take the source version apt offers.
[[ -n "$ver" ]] || ver=$(apt-cache showsrc libsodium | awk '/^Version:/ { print $2; exit }')
[[ -n "$ver" ]] || die "apt knows no source package 'libsodium'"

prefix="$cache/libsodium-wasm-$ver-$flavour"
stamp=$(stamp_of "$ver")
if [[ -e "$stamp" ]]; then echo "$prefix" >&3; exit 0; fi  # another run built it meanwhile

# Build in a temp dir under the cache (same filesystem, removed on any exit); start from an
# empty prefix so leftovers of an interrupted install can't mix in.
work=$(mktemp -d "$cache/libsodium-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$prefix"
start=$SECONDS

log "fetching Debian source libsodium=$ver"
(cd "$work" && apt-get source -q "libsodium=$ver") ||
  die "apt-get source libsodium=$ver failed (is that version still in the archive? 'apt-get install dpkg-dev' if dpkg-source is missing)"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'libsodium-*' | head -n1)
[[ -n "$src" ]] || die "apt-get source did not unpack a libsodium-* folder"

export NODE_PATH=/usr/share/nodejs  # Debian's emcc finds acorn only through NODE_PATH
cd "$src"
# Debian's orig tarball ships no configure script; -s skips autogen's optional extras.
./autogen.sh -s
# --enable-minimal: only the high-level API we use (smaller .a); no asm/pthreads/ssp/pie,
# which wasm32 doesn't support. No -I/usr/include: glibc headers would shadow the wasm sysroot.
CFLAGS="$sodium_cflags" emconfigure ./configure --host=wasm32-unknown-emscripten \
  --disable-shared --enable-static --enable-minimal --without-pthreads \
  --disable-ssp --disable-asm --disable-pie --prefix="$prefix"
emmake make -j"$(nproc)" install

[[ -f "$prefix/include/sodium.h" && -f "$prefix/lib/libsodium.a" ]] || die "install incomplete in $prefix"
touch "$stamp"  # only now: an interrupted build has no stamp and is redone next time
log "built in $((SECONDS - start))s: $prefix"
echo "$prefix" >&3
