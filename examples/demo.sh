#!/usr/bin/env bash
# Syncs the shipped demo databases with lockstep, on copies of them:
# examples/remote.sqlite (the source) and examples/local.sqlite (a drifted
# target) are copied to target/demo/ the first time (or again with --reset),
# so the originals are never modified. Every other argument goes to
# `lockstep sync`, e.g.:
#   examples/demo.sh --dry-run
#   examples/demo.sh --reset --fix-schemas
# With --postgres SERVER_URL (e.g. postgres://postgres@127.0.0.1:5432) the
# demo runs on that PostgreSQL server instead: it creates the databases
# lockstep_demo_remote (examples/postgres/remote.sql) and
# lockstep_demo_local (the same, then examples/postgres/drift.sql) with
# psql, the first time or again with --reset, and syncs the second from
# the first.
set -euo pipefail
cd "$(dirname "$0")/.."

reset=0
postgres=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --reset) reset=1 ;;
        --postgres)
            postgres=${2:?--postgres needs a server URL, e.g. postgres://postgres@127.0.0.1:5432}
            shift ;;
        *) args+=("$1") ;;
    esac
    shift
done

# The demo databases on a PostgreSQL server: made from the shipped SQL the
# first time, or again with --reset.
postgres_demo() {
    local server=${postgres%/} name exists
    command -v psql >/dev/null || { echo "demo: psql is needed for --postgres (Debian: postgresql-client)" >&2; exit 2; }
    for name in remote local; do
        exists=$(psql -X -q -At -d "$server/postgres" \
            -c "SELECT 1 FROM pg_database WHERE datname = 'lockstep_demo_$name'")
        if [ "$reset" = 1 ] || [ -z "$exists" ]; then
            psql -X -q -v ON_ERROR_STOP=1 -d "$server/postgres" \
                -c "DROP DATABASE IF EXISTS lockstep_demo_$name" -c "CREATE DATABASE lockstep_demo_$name"
            psql -X -q -v ON_ERROR_STOP=1 -d "$server/lockstep_demo_$name" -f examples/postgres/remote.sql >/dev/null
            if [ "$name" = local ]; then
                psql -X -q -v ON_ERROR_STOP=1 -d "$server/lockstep_demo_$name" -f examples/postgres/drift.sql >/dev/null
            fi
            echo "demo: fresh database lockstep_demo_$name on $(echo "$server" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')" >&2
        fi
    done
    args=(--source "$server/lockstep_demo_remote" --target "$server/lockstep_demo_local" ${args[@]+"${args[@]}"})
}

if [ -n "$postgres" ]; then
    postgres_demo
else
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
    args=(-c examples/demo.toml ${args[@]+"${args[@]}"})
fi

# A release build takes minutes the first time and `cargo run --quiet` says
# nothing meanwhile: when the binary is missing or older than the sources,
# say so and build with cargo's own progress shown.
bin="${CARGO_TARGET_DIR:-target}/release/lockstep"
if [ ! -x "$bin" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$bin" -print -quit)" ]; then
    echo "demo: building lockstep (first run can take a few minutes)…" >&2
    cargo build --release
fi

exec cargo run --release --quiet -- sync "${args[@]}"
