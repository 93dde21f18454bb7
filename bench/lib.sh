# Shared by bench/run.sh (MariaDB) and bench/run-postgres.sh: arguments,
# logging, the lockstep binary, the emulated link, and timing one run.
# Sourced after the script has set BENCH, ROOT and SCENARIOS.

ROWS=1000000
RUNS=3
ONLY=""
LINK=""
SKIP=""   # comma-separated tools not run (e.g. pt-table-sync at 10M rows: hours a scenario)

# the script's header comment
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --rows) ROWS=${2:?--rows needs a number}; shift 2 ;;
      --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
      --only) ONLY=${2:?--only needs a scenario}; shift 2 ;;
      --link) LINK=${2:?--link needs RTT/BANDWIDTH, e.g. 20ms/100mbit}; shift 2 ;;
      --skip) SKIP=${2:?--skip needs tool names, e.g. pt-table-sync,reladiff}; shift 2 ;;
      -h|--help) usage 0 ;;
      *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
  done
  if [[ -n "$ONLY" && " $SCENARIOS " != *" $ONLY "* ]]; then
    echo "unknown scenario '$ONLY'; one of: $SCENARIOS" >&2; exit 2
  fi
  [[ "$ROWS" =~ ^[0-9]+$ && "$ROWS" -ge 1000 ]] || { echo "--rows must be a number >= 1000" >&2; exit 2; }
  [[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a number >= 1" >&2; exit 2; }
  [[ -z "$LINK" || "$LINK" =~ ^[0-9.]+(us|ms|s)/[0-9.]+(kbit|mbit|gbit)$ ]] \
    || { echo "--link must look like 20ms/100mbit (delay us|ms|s, bandwidth kbit|mbit|gbit)" >&2; exit 2; }
}

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
note() { echo "- $*" >> "$NOTES"; log "note: $*"; }

build_lockstep() {
  if [[ -n "${LOCKSTEP_BIN:-}" ]]; then
    LOCKSTEP=$LOCKSTEP_BIN
  else
    log "building lockstep (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q) || die "cargo build --release failed"
    LOCKSTEP=${CARGO_TARGET_DIR:-$ROOT/target}/release/lockstep
  fi
  [[ -x "$LOCKSTEP" ]] || die "no lockstep binary at $LOCKSTEP"
}

# the commit the results name
lockstep_commit() {
  if [[ -n "${LOCKSTEP_BIN:-}" ]]; then
    echo "${LOCKSTEP_COMMIT:-unknown} (binary given as LOCKSTEP_BIN)"
  else
    local commit
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n "$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
      commit="$commit (with uncommitted changes in src/)"
    fi
    echo "$commit"
  fi
}

ports_free() { # ports_free PORT...: dies when one is taken
  local p
  for p in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "something already listens on port $p (a previous run still going?)"
    fi
  done
}

# ---------------------------------------------------------------- the link
# The relay listens on RELAY_PORT, forwards to REMOTE_PORT and reports its
# byte counters on RELAY_STATS_PORT.
RELAY_PID=""
start_relay() {
  log "building the link relay (bench/relay)"
  (cd "$BENCH/relay" && cargo build --release -q) || die "cargo build of bench/relay failed"
  local relay=${CARGO_TARGET_DIR:-$BENCH/relay/target}/release/lockstep-bench-relay i
  "$relay" --listen "127.0.0.1:$RELAY_PORT" --to "127.0.0.1:$REMOTE_PORT" --link "$LINK" \
    --stats "127.0.0.1:$RELAY_STATS_PORT" 2>>"$WORK/relay.log" &
  RELAY_PID=$!
  for i in $(seq 1 50); do
    link_bytes >/dev/null 2>&1 && { log "link $LINK on 127.0.0.1:$RELAY_PORT"; return 0; }
    sleep 0.1
  done
  die "the relay did not start: see $WORK/relay.log"
}
stop_relay() { [[ -n "$RELAY_PID" ]] && kill "$RELAY_PID" 2>/dev/null; RELAY_PID=""; }
link_bytes() { # -> "UP DOWN": bytes carried by the relay so far
  local line
  exec 4<>"/dev/tcp/127.0.0.1/$RELAY_STATS_PORT" || return 1
  read -r line <&4; exec 4<&-
  awk '{ print $2, $4 }' <<<"$line"
}

# ---------------------------------------------------------------- measuring
# measure SCENARIO TOOL RUN OK_CODES cmd...   (times only the command)
measure() {
  local scenario=$1 tool=$2 run=$3 ok=$4; shift 4
  if skipped "$tool"; then
    LAST_STATUS=skipped
    log "$scenario / $tool: skipped (--skip)"
    return 0
  fi
  local out=$WORK/logs/$scenario.$(printf '%s' "$tool" | tr -c 'a-zA-Z0-9_-' _).$run.log t0 t1 rc secs rss
  mkdir -p "$WORK/logs"
  local before=""
  [[ -n "$LINK" ]] && before=$(link_bytes)
  t0=$(date +%s.%N)
  (cd "$WORK" && /usr/bin/time -f '%M' -o "$WORK/time.out" "$@" >"$out" 2>&1 </dev/null)
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  rss=$(tail -n 1 "$WORK/time.out" 2>/dev/null | tr -dc 0-9)
  if [[ -n "$LINK" ]]; then
    local after
    after=$(link_bytes)
    printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$tool" "$run" \
      $(( ${after% *} - ${before% *} )) $(( ${after#* } - ${before#* } )) >>"$LINK_BYTES.cur"
  fi
  LAST_RC=$rc
  LAST_LOG=$out
  if [[ ",$ok," == *",$rc,"* ]]; then
    LAST_STATUS=ok
  else
    LAST_STATUS="exit $rc"
  fi
  printf '%s\t%s\t%s\t%.3f\t%s\t%s\t\n' "$scenario" "$tool" "$run" "$secs" "${rss:-0}" "$LAST_STATUS" >>"$RESULTS.cur"
  log "$scenario / $tool / run $run: ${secs}s, ${rss:-?} KB peak RSS, $LAST_STATUS"
}

# found-count of the last measured run (validate scenarios)
set_found() { sed -i '$ s/\t$/\t'"$1"'/' "$RESULTS.cur"; }

# ---------------------------------------------------------------- main
# run_bench COMMAND [report.py flags...]: what both harnesses do once set
# up: tools, data, the link, every scenario asked for, the report. The
# script defines ensure_tools, prepare, scenario_initial,
# scenario_resync (dense|sparse), scenario_validate (synced|dense),
# server_facts and tool_versions.
run_bench() {
  local command=$1 s; shift
  ensure_tools
  build_lockstep
  : >"$NOTES"
  : >"$RESULTS.cur"
  : >"$LINK_BYTES.cur"
  [[ -n "$SKIP" ]] && note "not run (--skip): $SKIP"
  prepare
  [[ -n "$LINK" ]] && start_relay
  for s in $SCENARIOS; do
    [[ -n "$ONLY" && "$s" != "$ONLY" ]] && continue
    log "scenario $s"
    case $s in
      initial) scenario_initial ;;
      resync-dense) scenario_resync dense ;;
      resync-sparse) scenario_resync sparse ;;
      validate-insync) scenario_validate synced ;;
      validate-dense) scenario_validate dense ;;
    esac
  done
  mv "$RESULTS.cur" "$RESULTS"
  mv "$LINK_BYTES.cur" "$LINK_BYTES"
  python3 "$BENCH/report.py" --results "$RESULTS" --notes "$NOTES" --data "$DATA" \
    --out "$OUT_MD" --rows "$ROWS" --runs "$RUNS" \
    ${LINK:+--link "$LINK" --link-bytes "$LINK_BYTES"} \
    --commit "$(lockstep_commit)" --command "$command" \
    --server "$(server_facts)" --tools "$(tool_versions)" "$@"
}

# ---------------------------------------------------------------- verifying
# The timed lockstep runs (through the link when there is one).
lockstep_sync() { "$LOCKSTEP" sync --source "$SRC_URL" --target "$DST_URL" -q --report-json "$WORK/lockstep-report.json"; }
lockstep_validate() { "$LOCKSTEP" sync --validate-only --source "$SRC_URL" --target "$DST_URL" -q --report-json "$WORK/lockstep-validate.json"; }

# skipped TOOL: whether --skip names the tool (by the start of its name)
skipped() {
  local name
  for name in ${SKIP//,/ }; do [[ $1 == "$name"* ]] && return 0; done
  return 1
}

# verify SCENARIO TOOL RUN, after a writing tool: lockstep's own check AND
# the script's independent one (`checksums PORT`, named CHECKSUMS_DIFFER);
# a run that fails either is marked and not counted.
verify() {
  local v
  [[ $LAST_STATUS == skipped ]] && return 0
  v=$(lockstep_verdict "$1 / $2")
  if [[ "$(checksums "$REMOTE_PORT")" != "$(checksums "$LOCAL_PORT")" ]]; then
    v="${v:+$v; }$CHECKSUMS_DIFFER ($(diff <(checksums "$REMOTE_PORT") <(checksums "$LOCAL_PORT") | grep '^>' | awk '{print $2}' | xargs))"
  fi
  # mark the last line of this run with the verdict
  if [[ -n "$v" ]]; then
    sed -i '$ s/\t[^\t]*\t$/\tnot equal after run: '"${v//\//\\/}"'\t/' "$RESULTS.cur"
    log "  verification FAILED: $v"
  else
    log "  verified: target equals source"
  fi
  LOCAL_STATE=dirty
}

# lockstep_verdict: lockstep's own check of the target after a writing
# tool (source reached directly): empty when it finds the target equal.
# A target whose rows and schema are equal but whose next generated keys
# (AUTO_INCREMENT, sequences) are not the source's is equal for this
# benchmark (the other tools do not promise counters); a note says so.
lockstep_verdict() {
  local rc
  (cd "$WORK" && "$LOCKSTEP" sync --validate-only --source "$DIRECT_SRC_URL" --target "$DST_URL" -q \
     --report-json "$WORK/verify.json" </dev/null >"$WORK/verify.log" 2>&1)
  rc=$?
  [[ $rc -eq 0 ]] && return 0
  if [[ $rc -eq 1 ]] && python3 - "$WORK/verify.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["data"]
rows = d["rows_inserted"] + d["rows_updated"] + d["rows_deleted"]
schema = [c for c in r["schema"]["changes"]]
counters_only = all("next generated key" in w for w in r["warnings"]) and r["warnings"]
sys.exit(0 if rows == 0 and not schema and counters_only else 1)
PY
  then
    note "after $1: rows and schema equal, next generated keys (AUTO_INCREMENT or sequences) not the source's"
    return 0
  fi
  echo "lockstep validate exit $rc"
}
