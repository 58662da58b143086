#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build kvrt offline:
# cmake and libsimde-dev (the QuickJS backend's WAMR build; .cargo/config.toml
# points CMake at /usr/include/simde instead of cloning it), libclang-dev
# (bindgen, for deno_webstorage's SQLite build), sqlite3, setpriv
# and strace for the tests, and, with
# --with-deno, the real Deno 2.9.6 from npm as the differential-test oracle.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
[ -d /usr/include/simde ] || need+=(libsimde-dev)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# deno_webstorage's SQLite (libsqlite3-sys with unlock_notify) runs bindgen,
# which needs libclang.
# (libclang-cpp, which some images carry, is not what bindgen loads.)
compgen -G "/usr/lib/llvm-*/lib/libclang.so*" >/dev/null || need+=(libclang-dev)
# tests: setpriv (util-linux) lets the read-only-file test run as root,
# strace lets the durability test see each fsync.
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v strace >/dev/null 2>&1 || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install: ${need[*]} (e.g. apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

if [ "${1:-}" = "--with-deno" ]; then
  deno=node_modules/@deno/linux-x64-glibc/deno
  if [ ! -x "$deno" ]; then
    echo "setup: installing the reference Deno 2.9.6 from npm"
    npm install --no-save --no-audit --no-fund --silent @deno/linux-x64-glibc@2.9.6
  fi
  tools="${KVRT_TOOLS_DIR:-$HOME/.cache/kvrt-tools}"
  if [ ! -x "$tools/bin/denokv" ]; then
    echo "setup: installing denokv 0.14.0 into $tools (cargo install --locked)"
    started=$(date +%s)
    cargo install --locked --quiet denokv --version 0.14.0 --root "$tools"
    echo "setup: denokv installed in $(( $(date +%s) - started )) s"
  fi
fi
