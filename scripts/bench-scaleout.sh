#!/usr/bin/env bash
# Scale-out benchmarks (docs/design.md §10–11): 1, 2 and 3 `inlet serve` receivers on one PostgreSQL
# database, 1,000-row batches and single-row requests from 64 clients, beside raw batched
# PostgreSQL upserts of the same rows into the same schema and the SQLite store in the same run.
# A private cluster (scripts/pg-cluster.sh) with PostgreSQL's default, durable settings; loopback;
# every run bounded by BENCH_SECONDS. Results go to the "## Scale-out" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

SECS=${BENCH_SECONDS:-10}
need wrk "bench-scaleout needs wrk (make setup installs it)"

$CARGO build -q --release -p inlet-desktop --bin inlet --example bench_raw_pg_upsert
BIN=target/release/inlet
EX=target/release/examples
TMP=$(mktemp -d)
chmod 755 "$TMP" # the cluster runs as the postgres user, who must reach its folder
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/pg-cluster.sh stop "$TMP/pg" fast 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PG=$(scripts/pg-cluster.sh start "$TMP/pg")
DBN=0
# A fresh database on the cluster; sets DB to its URL.
fresh_pg() {
  DBN=$((DBN + 1))
  psql -X -q -d "$PG" -c "CREATE DATABASE bench_$DBN"
  DB="${PG%/postgres}/bench_$DBN"
}

# start CMD... : runs a server, waits for "listening on http://ADDR", appends ADDR to ADDRS
ADDRS=()
start() {
  local log="$TMP/server-$RANDOM.log" addr=""
  "$@" >"$log" 2>&1 &
  PIDS+=($!)
  addr=$(listening "$log" 300)
  [ -n "$addr" ] && { ADDRS+=("$addr"); return 0; }
  echo "server did not start: $*"; cat "$log"; exit 1
}
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=(); ADDRS=()
}

# The mapping, the 1,000-row batch and its wrk script: the same as the host benchmark's.
write_batch_inputs
# New keys per request; PREFIX keeps the wrk processes of one run apart.
cat >"$TMP/single.lua" <<'LUA'
local n = 0
local threads = 0
local prefix = os.getenv("PREFIX") or "p"
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  n = n + 1
  local body = string.format('{"rows":[{"id":"%s%d-%d","name":"Company %d","plan":"team","seats":%d}]}', prefix, tid, n, n, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH")}, body)
end
LUA

# load SCRIPT CONNECTIONS : one wrk per receiver in ADDRS, side by side, the connections split
# between them (as a round-robin balancer would). Sets RPS (sum), P99 (the worst receiver's) and
# BAD (non-2xx, summed).
load() {
  local script=$1 conns=$2 n=${#ADDRS[@]} i c wpids=()
  for i in "${!ADDRS[@]}"; do
    c=$((conns / n + (i < conns % n ? 1 : 0)))
    PREFIX="r$i-" wrk -t1 -c"$c" -d"${SECS}s" --latency -s "$script" "http://${ADDRS[$i]}/hooks/$ID" >"$TMP/wrk-$i.out" &
    wpids+=($!)
  done
  for p in "${wpids[@]}"; do wait "$p"; done
  RPS=0; RPS_F=0; P99=0; BAD=0
  for i in "${!ADDRS[@]}"; do
    local r p b
    r=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$TMP/wrk-$i.out")
    # Batches run at a few requests a second: keep the fraction for rows/s.
    RPS_F=$(awk -v a="$RPS_F" '/^Requests\/sec:/ {printf "%.3f", a + $2}' "$TMP/wrk-$i.out")
    p=$(wrk_p99 <"$TMP/wrk-$i.out")
    b=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/wrk-$i.out")
    RPS=$((RPS + r)); BAD=$((BAD + ${b:-0}))
    P99=$(awk -v a="$P99" -v b="$p" 'BEGIN {print (b > a ? b : a)}')
  done
}

export AUTH BODY="$TMP/batch.json"
declare -A B_ROWS B_BAD S_RPS S_P99 S_BAD

# run_receivers LABEL N DB : batches then single rows through N receivers on DB
run_receivers() {
  local label=$1 n=$2 db=$3
  setup_db "$db"
  for _ in $(seq "$n"); do start "$BIN" --db "$db" serve --listen 127.0.0.1:0; done
  load "$TMP/batch.lua" 6
  B_ROWS[$label]=$(awk -v r="$RPS_F" 'BEGIN {printf "%.0f", r * 1000}'); B_BAD[$label]=$BAD
  load "$TMP/single.lua" 64
  S_RPS[$label]=$RPS; S_P99[$label]=$P99; S_BAD[$label]=$BAD
  stop_all
  echo "$label: batches ${B_ROWS[$label]} rows/s (non-2xx ${B_BAD[$label]}); single rows ${S_RPS[$label]} req/s, p99 ${S_P99[$label]} ms (non-2xx ${S_BAD[$label]})"
}

echo "== SQLite, one receiver"
run_receivers sqlite 1 "$TMP/sqlite.db"
for n in 1 2 3; do
  echo "== PostgreSQL, $n receiver(s)"
  fresh_pg
  run_receivers "pg$n" "$n" "$DB"
done

echo "== raw batched PostgreSQL upserts"
fresh_pg
"$BIN" --db "$DB" connections list >/dev/null # creates the schema, as a receiver does at start
RAW_ROWS=$("$EX/bench_raw_pg_upsert" "$DB" "$TMP/batch.json" "$SECS" | sed -n 's/^rows_per_sec=//p')
echo "raw upserts: $RAW_ROWS rows/s"
PG_VERSION=$(psql -X -q -t -A -d "$PG" -c "SHOW server_version" | cut -d" " -f1)

pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", 100*a/b}'; }
ONE_PCT=$(pct "${B_ROWS[pg1]}" "$RAW_ROWS")
if [ "$ONE_PCT" -ge 50 ]; then VERDICT="within budget"; else VERDICT="**over budget**"; fi
SECTION=$(cat <<MD
## Scale-out

Measured by \`make bench-scaleout\` (\`scripts/bench-scaleout.sh\`) on $(date -u +%Y-%m-%d), $(nproc) cores, release
build, loopback; PostgreSQL ${PG_VERSION} in a private cluster on the same machine with its default,
durable settings (\`fsync\`, \`synchronous_commit=on\`); every 2xx answered after its commit. With
several receivers, one \`wrk -t1\` per receiver runs side by side, the clients split between them
(a round-robin balancer's share): req/s are summed, p99 is the worst receiver's. ${SECS} s per run;
rows are the host benchmark's (flat 10-field accounts matched by ID). The baselines run in the same
invocation: raw batched upserts of the same rows into the same schema
(\`desktop/examples/bench_raw_pg_upsert.rs\`: one transaction per batch, an \`UPDATE … FROM unnest\`
and an \`INSERT … SELECT\` of the rest) and one receiver on SQLite.

| store, receivers | 1,000-row batches (6 clients), rows/s | single-row requests (64 clients), req/s | p99 |
|---|---|---|---|
| SQLite, 1 | ${B_ROWS[sqlite]} | ${S_RPS[sqlite]} | ${S_P99[sqlite]} ms |
| PostgreSQL, 1 | ${B_ROWS[pg1]} | ${S_RPS[pg1]} | ${S_P99[pg1]} ms |
| PostgreSQL, 2 | ${B_ROWS[pg2]} | ${S_RPS[pg2]} | ${S_P99[pg2]} ms |
| PostgreSQL, 3 | ${B_ROWS[pg3]} | ${S_RPS[pg3]} | ${S_P99[pg3]} ms |
| raw batched PostgreSQL upserts | ${RAW_ROWS} | — | — |

Budget: one receiver's batches ≥ 50% of raw batched PostgreSQL upserts: ${ONE_PCT}%, ${VERDICT}.

Load average when the run started: ${LOAD_AT_START}. Non-2xx answers: SQLite ${B_BAD[sqlite]} / ${S_BAD[sqlite]},
PostgreSQL 1: ${B_BAD[pg1]} / ${S_BAD[pg1]}, 2: ${B_BAD[pg2]} / ${S_BAD[pg2]}, 3: ${B_BAD[pg3]} / ${S_BAD[pg3]} (batches / single rows).
MD
)
# Where the limit is, read off the figures: kept by hand beside the script, shown under the table.
[ -f scripts/bench/scaleout-notes.md ] && SECTION="$SECTION

$(cat scripts/bench/scaleout-notes.md)"
scripts/bench-section.sh "Scale-out" "$SECTION"
echo "BENCHMARKS.md: ## Scale-out updated"
