#!/usr/bin/env bash
# Installs Debian packages, waiting (up to 10 minutes, with a message) while another package
# manager holds apt's locks — unattended upgrades on a real machine do — instead of failing
# with "Could not get lock". Usage: apt-install.sh [--update] [PACKAGE...]
set -euo pipefail
log() { echo "setup: $*" >&2; }
wait_s=${EMMA_APT_LOCK_TIMEOUT:-600}
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi

# apt-get update takes the lists lock; retried while another apt holds it.
if [ "$update" = 1 ]; then
  deadline=$((SECONDS + wait_s))
  until out=$(apt-get -o DPkg::Lock::Timeout="$wait_s" update -qq 2>&1); do
    if ! grep -q 'Could not get lock' <<<"$out" || [ "$SECONDS" -ge "$deadline" ]; then
      echo "$out" >&2
      exit 1
    fi
    log "another package manager is running (apt's lists lock is held); waiting for it…"
    sleep 3
  done
fi
[ $# -gt 0 ] || exit 0
# dpkg's frontend lock: apt waits for it itself; say why setup seems to stand still.
if command -v fuser >/dev/null && fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then
  log "another package manager is running (dpkg's lock is held); waiting for it (up to ${wait_s} s)…"
fi
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$wait_s" install -y -qq --no-upgrade "$@" >&2
