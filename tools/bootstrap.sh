#!/bin/sh
# Installs, from Debian's packages only, whatever otagw needs to build, test
# and run its demo, and nothing when everything is already there. `make`
# calls it before anything else, so the README's two commands work on a fresh
# Debian 12 machine. Needs root (or sudo) only when something is missing.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev clang-format
libssl-dev openssl libev-dev libhiredis-dev libsmpp34-dev libinih-dev
libmicrohttpd-dev libcmocka-dev libjson-c-dev jq redis-server redis-tools procps curl chromium
nodejs npm gdb"

missing=""
for p in $PKGS; do
    # The SMPP integration tests run node + npm (tests/peers). A nodejs from
    # another Debian-format source may bundle npm and conflict with
    # Debian's npm package: a working npm command is what counts.
    case "$p" in npm) command -v npm >/dev/null 2>&1 && continue ;; esac
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "bootstrap: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "bootstrap: need root to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
# Debian's package starts a system-wide redis-server where systemd runs; the
# tests and the demo start their own on free ports and do not need it.
