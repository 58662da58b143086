#!/usr/bin/env bash
# Quick start 1: builds kvrt and runs the example script.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release -p kvrt
./target/release/kvrt run examples/hello.ts "$@"
