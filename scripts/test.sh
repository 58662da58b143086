#!/usr/bin/env bash
# Quick start 2: runs every check CI runs. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-deno
export DENO_NO_UPDATE_CHECK=1
export KVRT_DENO_BIN="$PWD/node_modules/@deno/linux-x64-glibc/deno"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test"
cargo test --workspace
step "kvrt test -A tests/"
cargo build -p kvrt
./target/debug/kvrt test -A tests/
step "fuzz model checked against the real Deno (one seed; KV_FUZZ_SEED replays)"
KV_FUZZ_REFERENCE=deno NO_COLOR=1 "$KVRT_DENO_BIN" test --unstable-kv -A --no-check tests/fuzz_model_test.ts
step "kv_engine and kv_ext package and verify as crates (cargo publish --dry-run)"
# Cargo verifies kv_ext against kv_engine unpacked from a local overlay
# registry under $CARGO_HOME/registry/src/-<hash>/ and, like any registry
# crate, never unpacks or rebuilds the same name-version twice: drop earlier
# copies and builds so that the current sources are the ones checked.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/kv_engine-* "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/kv_ext-*
cargo clean -q -p kv_engine
cargo publish --dry-run --allow-dirty -p kv_engine -p kv_ext
step "V8 backend type-check"
DOCS_RS=1 cargo check -p kvrt --no-default-features --features v8
step "all checks passed"
