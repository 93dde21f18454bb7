#!/usr/bin/env bash
# lockstep benchmark on PostgreSQL: lockstep side by side with
# `pg_dump | psql`, `pgcopydb clone` and reladiff on two throwaway
# PostgreSQL servers (127.0.0.1:5433 "remote", 127.0.0.1:5434 "local").
# See bench/README.md.
#
#   bench/run-postgres.sh [--rows N] [--runs R] [--only SCENARIO] [--link RTT/BANDWIDTH]
#
# Scenarios: initial, resync-dense, resync-sparse, validate-insync,
# validate-dense. Writes bench/results-postgres.md (with --link:
# bench/results-postgres-remote.md). The server on 5432 is never touched.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SCENARIOS="initial resync-dense resync-sparse validate-insync validate-dense"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
parse_args "$@"

WORK=${BENCH_WORK:-$BENCH/.work-postgres}   # BENCH_WORK: another place (keeps this one's snapshots)
DATA=$WORK/data-$ROWS          # generated TSV/SQL files
RESULTS=$WORK/results.tsv      # scenario tool run seconds rss_kb status found
NOTES=$WORK/notes.txt
VENV=$BENCH/.venv-postgres
DB=bench
REMOTE_PORT=5433
LOCAL_PORT=5434
RELAY_PORT=5447                # the emulated link (--link): tools reach the remote here
RELAY_STATS_PORT=5448          # the relay's byte counters
LINK_BYTES=$WORK/link-bytes.tsv
if [[ -n "$LINK" ]]; then SRC_PORT=$RELAY_PORT; OUT_MD=$BENCH/results-postgres-remote.md
else SRC_PORT=$REMOTE_PORT; OUT_MD=$BENCH/results-postgres.md; fi
OUT_MD=${BENCH_OUT:-$OUT_MD}   # BENCH_OUT: write the results elsewhere
SRC_URL="postgres://postgres@127.0.0.1:$SRC_PORT/$DB"
DIRECT_SRC_URL="postgres://postgres@127.0.0.1:$REMOTE_PORT/$DB"
DST_URL="postgres://postgres@127.0.0.1:$LOCAL_PORT/$DB"
TABLES="auth_user client_accounts subscriber_accounts subscriber_subscription job_orders helpdesk_ticket"
mkdir -p "$WORK"
# the servers run as the postgres account: it must reach its datadirs
chmod 755 "$WORK"

# ---------------------------------------------------------------- tools
PG_BIN=""
ensure_tools() {
  local missing=()
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v pgcopydb >/dev/null || missing+=(pgcopydb)
  [[ -x /usr/bin/time ]] || missing+=(time)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]} (run as root on Debian, or install them yourself)"
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  id postgres >/dev/null 2>&1 || die "no 'postgres' account to run the servers as (install postgresql)"
  if [[ ! -x "$VENV/bin/reladiff" ]]; then
    log "installing reladiff[postgresql] into $VENV"
    { python3 -m venv "$VENV" || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }; } \
      && "$VENV/bin/pip" install -q 'reladiff[postgresql]' >/dev/null 2>&1 \
      || note "reladiff could not be installed (pip install 'reladiff[postgresql]' failed); its rows are skipped"
  fi
}

# ---------------------------------------------------------------- servers
sql() { # sql PORT [psql args...]  (reads SQL on stdin)
  local port=$1; shift
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}
as_postgres() { runuser -u postgres -- "$@"; }

start_server() { # start_server NAME PORT
  local name=$1 port=$2 dir=$WORK/$1
  if [[ ! -f "$dir/PG_VERSION" ]]; then
    mkdir -p "$dir" && chown postgres: "$dir" && chmod 700 "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$WORK/$name-initdb.log" 2>&1 || die "initdb for $name failed: see $WORK/$name-initdb.log"
  fi
  touch "$WORK/$name.log" && chown postgres: "$WORK/$name.log"
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$WORK/$name.log" -w -t 60 start -o \
    "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
     -c shared_buffers=512MB -c max_wal_size=4GB -c fsync=on" >/dev/null \
    || die "the $name server did not start on port $port: see $WORK/$name.log"
}

stop_server() { # stop_server NAME
  local dir=$WORK/$1
  [[ -f "$dir/postmaster.pid" ]] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1
}

cleanup() {
  stop_relay
  stop_server local
  stop_server remote
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ports_free "$REMOTE_PORT" "$LOCAL_PORT" ${LINK:+"$RELAY_PORT" "$RELAY_STATS_PORT"}

# ---------------------------------------------------------------- data
CHECKSUMS_DIFFER="rows differ"  # what verify says when checksums() disagree
# checksums PORT -> "table md5" lines: every row's text in key order
checksums() {
  local t
  for t in $TABLES; do
    printf '%s ' "$t"
    echo "SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) FROM $t t;" | sql "$1" -At -d "$DB"
  done
}

# The local server keeps each starting state as a template database
# (snap_empty, snap_synced, snap_dense, snap_sparse); a run starts from
# a fresh copy of one.
LOCAL_STATE=""
restore_local() { # restore_local STATE
  [[ "$LOCAL_STATE" == "$1" ]] && return 0
  echo "DROP DATABASE IF EXISTS $DB WITH (FORCE); CREATE DATABASE $DB TEMPLATE snap_$1; CHECKPOINT;" \
    | sql "$LOCAL_PORT" -d postgres || die "could not restore the local state $1"
  LOCAL_STATE=$1
}
snapshot_local() { # snapshot_local STATE: the local database becomes template STATE
  echo "DROP DATABASE IF EXISTS snap_$1; CREATE DATABASE snap_$1 TEMPLATE $DB;" \
    | sql "$LOCAL_PORT" -d postgres || die "could not keep the local state $1"
  LOCAL_STATE=$1
}

prepare() {
  local stamp
  stamp="$ROWS $(sha1sum <"$BENCH/gen.py" | cut -c1-12)"
  start_server remote "$REMOTE_PORT"
  start_server local "$LOCAL_PORT"
  if [[ -f "$WORK/ready" && "$(cat "$WORK/ready")" == "$stamp" ]]; then
    log "reusing the prepared dataset ($ROWS rows)"
    return 0
  fi
  log "generating $ROWS rows into $DATA"
  rm -rf "$WORK"/data-*
  mkdir -p "$DATA"
  python3 "$BENCH/gen.py" base --engine postgres --rows "$ROWS" --dir "$DATA" >"$DATA/base.json" || die "gen.py base failed"
  local p
  for p in dense sparse; do
    python3 "$BENCH/gen.py" diverge --engine postgres --rows "$ROWS" --dir "$DATA" --profile "$p" >/dev/null \
      || die "gen.py diverge failed"
  done

  log "loading the remote (port $REMOTE_PORT)"
  echo "DROP DATABASE IF EXISTS $DB WITH (FORCE); CREATE DATABASE $DB;" | sql "$REMOTE_PORT" -d postgres
  sql "$REMOTE_PORT" -d "$DB" -f "$DATA/schema.sql" || die "schema load failed on the remote"
  sql "$REMOTE_PORT" -d "$DB" -f "$DATA/load.sql" >/dev/null || die "data load failed on the remote"
  echo "VACUUM ANALYZE;" | sql "$REMOTE_PORT" -d "$DB"

  log "making the local starting states (empty, synced, dense, sparse)"
  echo "DROP DATABASE IF EXISTS $DB WITH (FORCE); CREATE DATABASE $DB;" | sql "$LOCAL_PORT" -d postgres
  snapshot_local empty
  sql "$LOCAL_PORT" -d "$DB" -f "$DATA/schema.sql" || die "schema load failed on the local"
  sql "$LOCAL_PORT" -d "$DB" -f "$DATA/load.sql" >/dev/null || die "data load failed on the local"
  echo "VACUUM ANALYZE;" | sql "$LOCAL_PORT" -d "$DB"
  [[ "$(checksums "$REMOTE_PORT")" == "$(checksums "$LOCAL_PORT")" ]] \
    || die "the loaded local copy differs from the remote"
  snapshot_local synced
  for p in dense sparse; do
    restore_local synced
    sql "$LOCAL_PORT" -d "$DB" -f "$DATA/diverge-$p.sql" >/dev/null || die "$p divergence failed"
    echo "VACUUM ANALYZE;" | sql "$LOCAL_PORT" -d "$DB"
    snapshot_local "$p"
  done
  echo "$stamp" >"$WORK/ready"
}


# dump_reload [pg_dump flags]: what a script would run; --clean drops first
dump_reload() {
  pg_dump -h 127.0.0.1 -p "$SRC_PORT" -U postgres --no-owner --no-acl "$@" "$DB" \
  | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$LOCAL_PORT" -U postgres -d "$DB" >/dev/null
  local rc=("${PIPESTATUS[@]}")
  [[ ${rc[0]} -eq 0 && ${rc[1]} -eq 0 ]]
}
copydb_clone() {
  rm -rf "$WORK/pgcopydb"
  pgcopydb clone --source "$SRC_URL" --target "$DST_URL" --dir "$WORK/pgcopydb" \
    --no-owner --no-acl --table-jobs 4 --index-jobs 2
}
reladiff_biggest() {
  "$VENV/bin/reladiff" "postgresql://postgres@127.0.0.1:$SRC_PORT/$DB" job_orders \
    "postgresql://postgres@127.0.0.1:$LOCAL_PORT/$DB" job_orders -k id -c '%' -s --skip-sort-results "$@" 2>&1 \
    | tee "$WORK/reladiff.out"
  ! grep -q ' ERROR - ' "$WORK/reladiff.out"
}
export -f lockstep_sync lockstep_validate dump_reload copydb_clone reladiff_biggest
export LOCKSTEP SRC_URL DST_URL SRC_PORT LOCAL_PORT DB VENV WORK

scenario_initial() {
  local r
  for r in $(seq 1 "$RUNS"); do
    restore_local empty
    measure initial lockstep "$r" 0 bash -c lockstep_sync; verify initial lockstep "$r"
    restore_local empty
    measure initial "pg_dump → psql" "$r" 0 bash -c dump_reload; verify initial pg_dump "$r"
    restore_local empty
    measure initial "pgcopydb clone" "$r" 0 bash -c copydb_clone; verify initial pgcopydb "$r"
  done
}

scenario_resync() { # scenario_resync dense|sparse
  local s=resync-$1 r
  for r in $(seq 1 "$RUNS"); do
    restore_local "$1"
    measure "$s" lockstep "$r" 0 bash -c lockstep_sync; verify "$s" lockstep "$r"
    restore_local "$1"
    measure "$s" "pg_dump --clean → psql (full reload)" "$r" 0 bash -c 'dump_reload --clean --if-exists'
    verify "$s" pg_dump "$r"
  done
}

found() { # found TOOL: differing rows the last validate run reported
  case $1 in
    lockstep) python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; print(d["rows_inserted"]+d["rows_updated"]+d["rows_deleted"])' "$WORK/lockstep-validate.json" ;;
    reladiff) awk '/exclusive to table|rows updated/ { n += $1 } END { print n + 0 }' "$LAST_LOG" ;;
  esac
}

scenario_validate() { # scenario_validate synced|dense
  local state=$1 s expect r
  if [[ $state == synced ]]; then s=validate-insync; expect=0; else s=validate-dense; expect=1; fi
  restore_local "$state"
  for r in $(seq 1 "$RUNS"); do
    measure "$s" lockstep "$r" "$expect" bash -c lockstep_validate
    [[ $LAST_STATUS == ok ]] && set_found "$(found lockstep)"
    if [[ -x "$VENV/bin/reladiff" ]]; then
      measure "$s" "reladiff (job_orders only)" "$r" 0 bash -c reladiff_biggest
      [[ $LAST_STATUS == ok ]] && set_found "$(found reladiff)"
    fi
  done
}

# ---------------------------------------------------------------- main
server_facts() {
  echo "PostgreSQL: $(echo 'SHOW server_version' | sql "$REMOTE_PORT" -At -d postgres) (two throwaway servers on 127.0.0.1:$REMOTE_PORT and :$LOCAL_PORT, shared_buffers=512MB, max_wal_size=4GB each, other settings default; a run starts from a template copy of its starting state)"
}
tool_versions() {
  echo "$(pg_dump --version); $(pgcopydb --version 2>/dev/null | grep -m1 -o 'pgcopydb version [^ ]*'); reladiff $("$VENV/bin/pip" show reladiff 2>/dev/null | awk '/^Version/{print $2}')"
}
run_bench bench/run-postgres.sh
