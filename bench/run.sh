#!/usr/bin/env bash
# lockstep benchmark: lockstep side by side with mysqldump, pt-table-sync and
# reladiff on two throwaway MariaDB servers (127.0.0.1:3307 "remote",
# 127.0.0.1:3308 "local"). See bench/README.md.
#
#   bench/run.sh [--rows N] [--runs R] [--only SCENARIO] [--link RTT/BANDWIDTH] [--skip TOOLS]
#
# Scenarios: initial, resync-dense, resync-sparse, validate-insync,
# validate-dense. Writes bench/results.md; with --link (e.g. 20ms/100mbit)
# every tool reaches the remote through an emulated link (bench/relay) and
# the results go to bench/results-remote.md. --skip pt-table-sync,reladiff
# leaves those tools out (at 10M rows each of their runs takes hours).
# BENCH_WORK=DIR keeps servers, data and snapshots in DIR instead of
# bench/.work. The server on 3306 is never touched.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SCENARIOS="initial resync-dense resync-sparse validate-insync validate-dense"
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
parse_args "$@"

WORK=${BENCH_WORK:-$BENCH/.work}   # BENCH_WORK: another place (keeps this one's snapshots)
DATA=$WORK/data-$ROWS          # generated TSV/SQL files
SNAP=$WORK/snap-$ROWS          # datadir snapshots of the local server: empty synced dense sparse
RESULTS=$WORK/results.tsv      # scenario tool run seconds rss_kb status
NOTES=$WORK/notes.txt
VENV=$BENCH/.venv
DB=bench
# BENCH_PORT_BASE=N moves all four ports (N, N+1, N+10, N+11), so two
# checkouts can bench on one machine at once.
PORT_BASE=${BENCH_PORT_BASE:-3307}
REMOTE_PORT=$PORT_BASE
LOCAL_PORT=$((PORT_BASE + 1))
RELAY_PORT=$((PORT_BASE + 10)) # the emulated link (--link): tools reach the remote here
RELAY_STATS_PORT=$((PORT_BASE + 11)) # the relay's byte counters
LINK_BYTES=$WORK/link-bytes.tsv  # scenario tool run up_bytes down_bytes (--link only)
if [[ -n "$LINK" ]]; then SRC_PORT=$RELAY_PORT; OUT_MD=$BENCH/results-remote.md
else SRC_PORT=$REMOTE_PORT; OUT_MD=$BENCH/results.md; fi
OUT_MD=${BENCH_OUT:-$OUT_MD}   # BENCH_OUT: write the results elsewhere
# the tools' view of the source (through the link when there is one) ...
SRC_URL="mysql://root@127.0.0.1:$SRC_PORT/$DB"
# ... and the untimed checks' (always direct)
DIRECT_SRC_URL="mysql://root@127.0.0.1:$REMOTE_PORT/$DB"
DST_URL="mysql://root@127.0.0.1:$LOCAL_PORT/$DB"
TABLES="auth_user client_accounts subscriber_accounts subscriber_subscription job_orders helpdesk_ticket"
mkdir -p "$WORK"

# ---------------------------------------------------------------- tools
ensure_tools() {
  local missing=()
  command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  command -v pt-table-sync >/dev/null || missing+=(percona-toolkit)
  [[ -x /usr/bin/time ]] || missing+=(time)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]} (run as root on Debian, or install them yourself)"
  fi
  export PATH="$PATH:/usr/sbin"
  if [[ ! -x "$VENV/bin/reladiff" ]]; then
    log "installing reladiff[mysql] into $VENV"
    { python3 -m venv "$VENV" || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }; } \
      && "$VENV/bin/pip" install -q 'reladiff[mysql]' >/dev/null 2>&1 \
      || note "reladiff could not be installed (pip install 'reladiff[mysql]' failed); its rows are skipped"
  fi
}

# ---------------------------------------------------------------- servers
sql() { # sql PORT [args...]  (reads SQL on stdin)
  local port=$1; shift
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot --local-infile=1 \
    --default-character-set=utf8mb4 "$@"
}

start_server() { # start_server NAME PORT
  local name=$1 port=$2 dir=$WORK/$1
  # Its own tmpdir (bootstrap included): a starting server sweeps `#sql*`
  # files from its tmpdir, and in the shared /tmp those are another
  # server's live temp tables (seen: the shared server crashed freeing one).
  mkdir -p "$WORK/$name-tmp"
  if [[ ! -d "$dir/mysql" ]]; then
    mariadb-install-db --no-defaults --datadir="$dir" --user=root --tmpdir="$WORK/$name-tmp" \
      --auth-root-authentication-method=normal --skip-test-db \
      --skip-name-resolve >"$WORK/$name-install.log" 2>&1 \
      || die "mariadb-install-db for $name failed: see $WORK/$name-install.log"
  fi
  mariadbd --no-defaults --user=root --datadir="$dir" --port="$port" \
    --bind-address=127.0.0.1 --socket="$WORK/$name.sock" --pid-file="$WORK/$name.pid" \
    --tmpdir="$WORK/$name-tmp" \
    --log-error="$WORK/$name.err" --skip-name-resolve --skip-log-bin \
    --innodb-buffer-pool-size=512M --local-infile=1 --max-allowed-packet=64M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci 2>>"$WORK/$name.err" &
  local i
  for i in $(seq 1 120); do
    if mariadb-admin --no-defaults -h127.0.0.1 -P"$port" -uroot ping >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "the $name server did not start on port $port: see $WORK/$name.err"
}

stop_server() { # stop_server NAME PORT
  local name=$1 port=$2 pidf=$WORK/$1.pid pid
  [[ -f "$pidf" ]] || return 0
  pid=$(cat "$pidf")
  mariadb-admin --no-defaults -h127.0.0.1 -P"$port" -uroot shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$pidf"
}

cleanup() {
  stop_relay
  stop_server local "$LOCAL_PORT"
  stop_server remote "$REMOTE_PORT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ports_free "$REMOTE_PORT" "$LOCAL_PORT" ${LINK:+"$RELAY_PORT" "$RELAY_STATS_PORT"}

# ---------------------------------------------------------------- data
CHECKSUMS_DIFFER="CHECKSUM TABLE differs"  # what verify says when checksums() disagree
checksums() { # checksums PORT -> "table value" lines
  echo "CHECKSUM TABLE $(echo $TABLES | sed 's/ /, /g');" | sql "$1" -N "$DB" | sed 's/^[^.]*\.//'
}

LOCAL_STATE=""
restore_local() { # restore_local STATE: the local server holds snapshot STATE
  [[ "$LOCAL_STATE" == "$1" ]] && return 0
  stop_server local "$LOCAL_PORT"
  rm -rf "$WORK/local"
  cp -a "$SNAP/$1" "$WORK/local"
  start_server local "$LOCAL_PORT"
  LOCAL_STATE=$1
}

snapshot_local() { # snapshot_local STATE
  stop_server local "$LOCAL_PORT"
  rm -rf "${SNAP:?}/$1"
  cp -a "$WORK/local" "$SNAP/$1"
  start_server local "$LOCAL_PORT"
  LOCAL_STATE=$1
}

prepare() {
  local stamp
  stamp="$ROWS $(sha1sum <"$BENCH/gen.py" | cut -c1-12)"
  if [[ -f "$SNAP/ready" && "$(cat "$SNAP/ready")" == "$stamp" && -f "$WORK/remote/ready" \
        && "$(cat "$WORK/remote/ready")" == "$stamp" ]]; then
    log "reusing the prepared dataset ($ROWS rows)"
    start_server remote "$REMOTE_PORT"
    return 0
  fi
  log "generating $ROWS rows into $DATA"
  rm -rf "$WORK"/data-* "$WORK"/snap-* "$WORK/remote" "$WORK/local"
  mkdir -p "$DATA" "$SNAP"
  python3 "$BENCH/gen.py" base --rows "$ROWS" --dir "$DATA" >"$DATA/base.json" || die "gen.py base failed"
  python3 "$BENCH/gen.py" diverge --rows "$ROWS" --dir "$DATA" --profile dense >/dev/null || die "gen.py diverge failed"
  python3 "$BENCH/gen.py" diverge --rows "$ROWS" --dir "$DATA" --profile sparse >/dev/null || die "gen.py diverge failed"

  log "loading the remote (port $REMOTE_PORT)"
  start_server remote "$REMOTE_PORT"
  echo "CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" | sql "$REMOTE_PORT"
  sql "$REMOTE_PORT" "$DB" <"$DATA/schema.sql" || die "schema load failed on the remote"
  sql "$REMOTE_PORT" "$DB" <"$DATA/load.sql" || die "data load failed on the remote"

  log "making the local snapshots (empty, synced, dense, sparse)"
  start_server local "$LOCAL_PORT"
  echo "CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" | sql "$LOCAL_PORT"
  snapshot_local empty
  sql "$LOCAL_PORT" "$DB" <"$DATA/schema.sql" || die "schema load failed on the local"
  sql "$LOCAL_PORT" "$DB" <"$DATA/load.sql" || die "data load failed on the local"
  [[ "$(checksums "$REMOTE_PORT")" == "$(checksums "$LOCAL_PORT")" ]] \
    || die "the loaded local copy differs from the remote (CHECKSUM TABLE)"
  snapshot_local synced
  sql "$LOCAL_PORT" "$DB" <"$DATA/diverge-dense.sql" || die "dense divergence failed"
  snapshot_local dense
  restore_local synced
  sql "$LOCAL_PORT" "$DB" <"$DATA/diverge-sparse.sql" || die "sparse divergence failed"
  snapshot_local sparse
  echo "$stamp" >"$SNAP/ready"
  echo "$stamp" >"$WORK/remote/ready"
}


dump_reload() {
  mysqldump --no-defaults -h127.0.0.1 -P"$SRC_PORT" -uroot --single-transaction \
    --default-character-set=utf8mb4 "$DB" \
  | mariadb --no-defaults -h127.0.0.1 -P"$LOCAL_PORT" -uroot --default-character-set=utf8mb4 "$DB"
  local rc=("${PIPESTATUS[@]}")
  [[ ${rc[0]} -eq 0 && ${rc[1]} -eq 0 ]]
}
# pt_sync MODE [extra flags]: one pt-table-sync per table, parents first.
# Exit codes of pt-table-sync: 0 no difference, 2 differences found (and
# synced with --execute), 1 or 3 error. Ours: 0, or 1 on the first error.
pt_sync() {
  local mode=$1 t rc charset=utf8mb4; shift
  # pt-table-sync 3.x dies with "Wide character in print" when --print meets
  # a 4-byte character on a utf8mb4 connection; utf8 (3-byte) lets it print
  # (4-byte characters then show as '?' in the printed statements only).
  [[ $mode == --print ]] && charset=utf8
  for t in $TABLES; do
    pt-table-sync "$mode" --charset="$charset" "$@" \
      "h=127.0.0.1,P=$SRC_PORT,u=root,D=$DB,t=$t" "h=127.0.0.1,P=$LOCAL_PORT,u=root,D=$DB,t=$t"
    rc=$?
    if [[ $rc -ne 0 && $rc -ne 2 ]]; then echo "pt-table-sync failed on table $t (exit $rc)"; return 1; fi
  done
  return 0
}
# reladiff prints "ERROR - ..." and still exits 0 when it gives up
reladiff_biggest() {
  "$VENV/bin/reladiff" "$SRC_URL" job_orders "$DST_URL" job_orders -k id -c '%' -s --skip-sort-results "$@" 2>&1 \
    | tee "$WORK/reladiff.out"
  ! grep -q ' ERROR - ' "$WORK/reladiff.out"
}
export -f lockstep_sync lockstep_validate dump_reload pt_sync reladiff_biggest
export LOCKSTEP SRC_URL DST_URL SRC_PORT LOCAL_PORT DB TABLES VENV WORK

PT_FK_FLAGS=""
run_pt_execute() { # run_pt_execute SCENARIO RUN STATE
  local scenario=$1 run=$2 state=$3
  skipped pt-table-sync && return 0
  restore_local "$state"
  measure "$scenario" "pt-table-sync --execute$PT_FK_FLAGS" "$run" 0 bash -c 'pt_sync --execute $0' "$PT_FK_FLAGS"
  if [[ $LAST_STATUS != ok && -z "$PT_FK_FLAGS" ]]; then
    LOCAL_STATE=dirty
    note "pt-table-sync --execute with FK checks on failed in $scenario: $(grep -m1 -iE 'error|fail|DBD' "$LAST_LOG" | cut -c1-300); re-ran with --no-foreign-key-checks"
    PT_FK_FLAGS=" --no-foreign-key-checks"
    restore_local "$state"
    measure "$scenario" "pt-table-sync --execute$PT_FK_FLAGS" "$run" 0 bash -c 'pt_sync --execute $0' "$PT_FK_FLAGS"
  fi
  verify "$scenario" "pt-table-sync" "$run"
}

scenario_initial() {
  local r
  for r in $(seq 1 "$RUNS"); do
    restore_local empty
    measure initial lockstep "$r" 0 bash -c lockstep_sync; verify initial lockstep "$r"
    restore_local empty
    measure initial "mysqldump → mysql" "$r" 0 bash -c dump_reload; verify initial mysqldump "$r"
  done
}

scenario_resync() { # scenario_resync dense|sparse
  local s=resync-$1 r
  for r in $(seq 1 "$RUNS"); do
    restore_local "$1"
    measure "$s" lockstep "$r" 0 bash -c lockstep_sync; verify "$s" lockstep "$r"
    run_pt_execute "$s" "$r" "$1"
    restore_local "$1"
    measure "$s" "mysqldump → mysql (full reload)" "$r" 0 bash -c dump_reload; verify "$s" dump "$r"
  done
}

# found TOOL: how many differing rows the last validate run reported
found() {
  case $1 in
    lockstep) python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; print(d["rows_inserted"]+d["rows_updated"]+d["rows_deleted"])' "$WORK/lockstep-validate.json" ;;
    pt) grep -cE '^(/\*[^*]*\*/ )?(DELETE|INSERT|REPLACE|UPDATE) ' "$LAST_LOG" ;;
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
    measure "$s" "pt-table-sync --print" "$r" 0 bash -c "pt_sync --print"
    [[ $LAST_STATUS == ok ]] && set_found "$(found pt)"
    if [[ -x "$VENV/bin/reladiff" ]]; then
      measure "$s" "reladiff (job_orders only)" "$r" 0 bash -c reladiff_biggest
      [[ $LAST_STATUS == ok ]] && set_found "$(found reladiff)"
    fi
  done
}

# ---------------------------------------------------------------- main
server_facts() {
  echo "MariaDB: $(echo 'SELECT VERSION()' | sql "$REMOTE_PORT" -N) (two throwaway servers on 127.0.0.1:$REMOTE_PORT and :$LOCAL_PORT, innodb_buffer_pool_size=512M each, binary log off, other settings default)"
}
tool_versions() {
  echo "$(pt-table-sync --version 2>&1 | head -1); $(mysqldump --version | head -1); reladiff $("$VENV/bin/pip" show reladiff 2>/dev/null | awk '/^Version/{print $2}')"
}
run_bench bench/run.sh --fact "pt-table-sync counts statements (an update is one REPLACE or UPDATE)"
