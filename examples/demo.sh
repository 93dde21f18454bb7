#!/usr/bin/env bash
# Syncs the shipped demo databases with lockstep, on copies of them:
# examples/remote.sqlite (the source) and examples/local.sqlite (a drifted
# target) are copied to target/demo/ the first time (or again with --reset),
# so the originals are never modified. Every other argument goes to
# `lockstep sync`, e.g.:
#   examples/demo.sh --dry-run
#   examples/demo.sh --reset --fix-schemas
set -euo pipefail
cd "$(dirname "$0")/.."

reset=0
args=()
for arg in "$@"; do
    if [ "$arg" = "--reset" ]; then
        reset=1
    else
        args+=("$arg")
    fi
done

mkdir -p target/demo
for name in remote local; do
    copy="target/demo/$name.sqlite"
    if [ "$reset" = 1 ] || [ ! -f "$copy" ]; then
        rm -f "$copy" "$copy-journal" "$copy-wal" "$copy-shm"
        cp "examples/$name.sqlite" "$copy"
        chmod u+w "$copy"
        echo "demo: fresh copy of examples/$name.sqlite in $copy" >&2
    fi
done

# A release build takes minutes the first time and `cargo run --quiet` says
# nothing meanwhile: when the binary is missing or older than the sources,
# say so and build with cargo's own progress shown.
bin="${CARGO_TARGET_DIR:-target}/release/lockstep"
if [ ! -x "$bin" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$bin" -print -quit)" ]; then
    echo "demo: building lockstep (first run can take a few minutes)…" >&2
    cargo build --release
fi

exec cargo run --release --quiet -- sync -c examples/demo.toml ${args[@]+"${args[@]}"}
