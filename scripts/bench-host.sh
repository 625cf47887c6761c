#!/usr/bin/env bash
# Host benchmarks (DESIGN §10): ingest of 1,000-row batches against raw batched SQLite upserts, and
# single-row requests from 64 concurrent clients (durable: synchronous=FULL) against a no-op axum
# handler and one commit per request. Loopback only; every run is bounded by BENCH_SECONDS.
# Results go to the "## Host" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${BENCH_SECONDS:-10}
# BENCH_TRUST=0 skips the runs that price the schema drift check and a signature check (DESIGN §10).
BENCH_TRUST=${BENCH_TRUST:-1}
LOAD_AT_START=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
CARGO=${CARGO:-cargo}
command -v wrk >/dev/null || { echo "bench-host needs wrk (make setup installs it)"; exit 1; }

$CARGO build -q --release -p inlet-desktop --bin inlet --example bench_raw_upsert --example bench_noop
BIN=target/release/inlet
EX=target/release/examples
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

# start CMD... : runs a server, waits for "listening on http://ADDR", sets ADDR
start() {
  local log="$TMP/server-$RANDOM.log"
  "$@" >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    ADDR=$(sed -n 's/^inlet: listening on http:\/\///p' "$log" | head -1)
    [ -n "$ADDR" ] && return 0
    sleep 0.1
  done
  echo "server did not start: $*"; cat "$log"; exit 1
}
stop() { kill "${PIDS[-1]}" 2>/dev/null || true; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

# A connection on a fresh database: accounts matched by ID, enabled. Sets ID and AUTH.
setup_db() {
  local db=$1
  local created
  created=$("$BIN" --db "$db" connections create --name bench --kind accounts --json)
  ID=$(sed -n 's/^  "id": "\(.*\)",$/\1/p' <<<"$created")
  AUTH=$(sed -n 's/^  "authorization": "\(.*\)",$/\1/p' <<<"$created")
  "$BIN" --db "$db" mapping set "$ID" --file "$TMP/mapping.json" >/dev/null
}

cat >"$TMP/mapping.json" <<'JSON'
{"version": 1, "kind": "accounts", "wrapper_path": "rows", "match": {"id": "id"}}
JSON
# 1,000 flat 10-field rows.
{
  printf '{"rows": ['
  for i in $(seq 0 999); do
    [ "$i" -gt 0 ] && printf ','
    printf '{"id":"acc-%d","name":"Company %d","domain":"c%d.example","plan":"team","seats":%d,"country":"DE","industry":"Software","mrr":12.5,"active":true,"owner":"owner%d@example.com"}' "$i" "$i" "$i" "$i" "$i"
  done
  printf ']}'
} >"$TMP/batch.json"

cat >"$TMP/batch.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
local f = io.open(os.getenv("BODY"), "r"); wrk.body = f:read("*a"); f:close()
if os.getenv("SIG") and os.getenv("SIG") ~= "" then wrk.headers["X-Hub-Signature-256"] = "sha256=" .. os.getenv("SIG") end
LUA
# Single rows from a pool of pre-signed bodies (HMAC-SHA256 cannot be computed in wrk's Lua).
cat >"$TMP/pool.lua" <<'LUA'
local bodies, sigs = {}, {}
for line in io.lines(os.getenv("POOL")) do
  local s, b = line:match("^(%x+)\t(.*)$")
  sigs[#sigs + 1] = s; bodies[#bodies + 1] = b
end
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  n = n + 1
  local i = ((tid * 7919 + n) % #bodies) + 1
  local h = {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH")}
  if os.getenv("SIGN") == "1" then h["X-Hub-Signature-256"] = "sha256=" .. sigs[i] end
  return wrk.format("POST", nil, h, bodies[i])
end
LUA
cat >"$TMP/single.lua" <<'LUA'
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  n = n + 1
  local body = string.format('{"rows":[{"id":"t%d-%d","name":"Company %d","plan":"team","seats":%d}]}', tid, n, n, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH")}, body)
end
LUA

# wrk_run URL SCRIPT CONNECTIONS : sets RPS, P99 (ms) and BAD (non-2xx count)
wrk_run() {
  local out
  out=$(wrk -t2 -c"$3" -d"${SECS}s" --latency -s "$2" "$1")
  RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  P99=$(awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us$/, "", v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v*=1000 } printf "%.1f", v }' <<<"$out")
  BAD=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  BAD=${BAD:-0}
}

echo "== 1,000-row batches"
setup_db "$TMP/batch.db"
start "$BIN" --db "$TMP/batch.db" serve --listen 127.0.0.1:0
export AUTH BODY="$TMP/batch.json"
wrk_run "http://$ADDR/hooks/$ID" "$TMP/batch.lua" 4
BATCH_RPS=$RPS; BATCH_BAD=$BAD; BATCH_ROWS=$((RPS * 1000))
stop
RAW_ROWS=$("$EX/bench_raw_upsert" "$TMP/raw.db" "$TMP/batch.json" "$SECS" | sed -n 's/^rows_per_sec=//p')
echo "ingest ${BATCH_ROWS} rows/s (non-2xx: $BATCH_BAD), raw upserts ${RAW_ROWS} rows/s"

echo "== single-row requests, 64 clients"
setup_db "$TMP/single.db"
start "$BIN" --db "$TMP/single.db" serve --listen 127.0.0.1:0
export AUTH; wrk_run "http://$ADDR/hooks/$ID" "$TMP/single.lua" 64
SINGLE_RPS=$RPS; SINGLE_P99=$P99; SINGLE_BAD=$BAD
stop
echo "group commit: $SINGLE_RPS req/s, p99 $SINGLE_P99 ms (non-2xx: $SINGLE_BAD)"

setup_db "$TMP/one.db"
start "$BIN" --db "$TMP/one.db" serve --listen 127.0.0.1:0 --max-group 1
export AUTH; wrk_run "http://$ADDR/hooks/$ID" "$TMP/single.lua" 64
ONE_RPS=$RPS; ONE_P99=$P99; ONE_BAD=$BAD
stop
echo "one commit per request: $ONE_RPS req/s, p99 $ONE_P99 ms (non-2xx: $ONE_BAD)"

start "$EX/bench_noop"
export AUTH=none; wrk_run "http://$ADDR/hooks/x" "$TMP/single.lua" 64
NOOP_RPS=$RPS; NOOP_P99=$P99
stop
echo "no-op axum: $NOOP_RPS req/s, p99 $NOOP_P99 ms"

verdict() { if [ "$1" = 1 ]; then echo "within budget"; else echo "**over budget**"; fi; }

# The same batch and single-row runs twice: drift check and signature both off (`serve
# --no-drift-check`, no signature), then both on (the default drift check, and an HMAC-SHA256
# signature in GitHub's form checked on every request).
TRUST_ROWS=""
if [ "$BENCH_TRUST" = 1 ]; then
  echo "== drift check and signature: off, then on"
  sign_on() { # DB: requires hmac-sha256 on the bench connection; sets SECRET
    SECRET=$("$BIN" --db "$1" connections update "$ID" --verify hmac-sha256 --json |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["signature"]["secret"])')
  }
  pool() { # SECRET FILE: 4,096 single-row bodies, each with its hex HMAC-SHA256
    python3 - "$1" "$2" <<'PY'
import hashlib, hmac, sys
secret, out = sys.argv[1].encode(), sys.argv[2]
with open(out, "w") as f:
    for i in range(4096):
        body = '{"rows":[{"id":"p%d","name":"Company %d","plan":"team","seats":%d}]}' % (i, i, i)
        f.write(hmac.new(secret, body.encode(), hashlib.sha256).hexdigest() + "\t" + body + "\n")
PY
  }
  for mode in off on; do
    setup_db "$TMP/trust-batch-$mode.db"
    flags=(); SIG=""
    if [ "$mode" = off ]; then flags=(--no-drift-check); else
      sign_on "$TMP/trust-batch-$mode.db"
      SIG=$(openssl dgst -sha256 -hmac "$SECRET" <"$TMP/batch.json" | sed 's/^.* //')
    fi
    start "$BIN" --db "$TMP/trust-batch-$mode.db" serve --listen 127.0.0.1:0 "${flags[@]}"
    export AUTH SIG BODY="$TMP/batch.json"
    wrk_run "http://$ADDR/hooks/$ID" "$TMP/batch.lua" 4
    stop
    declare "TB_${mode}=$((RPS * 1000))" "TB_BAD_${mode}=$BAD"
    unset SIG

    setup_db "$TMP/trust-single-$mode.db"
    SIGN=0; SECRET=unused
    if [ "$mode" = on ]; then sign_on "$TMP/trust-single-$mode.db"; SIGN=1; fi
    pool "$SECRET" "$TMP/pool-$mode.tsv"
    start "$BIN" --db "$TMP/trust-single-$mode.db" serve --listen 127.0.0.1:0 "${flags[@]}"
    export AUTH SIGN POOL="$TMP/pool-$mode.tsv"
    wrk_run "http://$ADDR/hooks/$ID" "$TMP/pool.lua" 64
    stop
    declare "TS_${mode}=$RPS" "TS_P99_${mode}=$P99" "TS_BAD_${mode}=$BAD"
    tb="TB_$mode"; ts="TS_$mode"
    echo "$mode: batches ${!tb} rows/s, single rows ${!ts} req/s"
  done
  cost() { awk -v on="$1" -v off="$2" 'BEGIN {printf "%.1f", 100*(off-on)/off}'; }
  TB_COST=$(cost "$TB_on" "$TB_off"); TS_COST=$(cost "$TS_on" "$TS_off")
  echo "drift + signature cost: batches ${TB_COST}%, single rows ${TS_COST}%"
  TRUST_ROWS=$(cat <<MD
| 1,000-row batches, drift check + HMAC-SHA256 signature on | ${TB_on} rows/s | both off: ${TB_off} rows/s | cost ≤ 5% | ${TB_COST}%: $(verdict "$(awk -v c="$TB_COST" 'BEGIN {print (c <= 5)}')") |
| single-row requests (64 clients), drift check + signature on | ${TS_on} req/s, p99 ${TS_P99_on} ms | both off: ${TS_off} req/s, p99 ${TS_P99_off} ms | cost ≤ 5% | ${TS_COST}%: $(verdict "$(awk -v c="$TS_COST" 'BEGIN {print (c <= 5)}')") |
MD
)
fi
BATCH_PCT=$(awk -v a="$BATCH_ROWS" -v b="$RAW_ROWS" 'BEGIN {printf "%.0f", 100*a/b}')
SECTION=$(cat <<MD
## Host

Measured by \`make bench-host\` (\`scripts/bench-host.sh\`) on $(date -u +%Y-%m-%d), $(nproc) cores, release build,
loopback, \`wrk -t2\` for ${SECS} s per run on the same machine as the server. Every write is durable
(WAL, \`synchronous=FULL\`) and answered only after its commit. Rows: flat 10-field accounts matched
by ID. The baselines run in the same invocation: raw batched rusqlite upserts of the same rows into
the same schema (\`desktop/examples/bench_raw_upsert.rs\`), a no-op axum handler that reads the body
(\`desktop/examples/bench_noop.rs\`), and the listener with one commit per request (\`--max-group 1\`).

| measure | result | baseline | budget | |
|---|---|---|---|---|
| 1,000-row batches (4 clients), rows/s committed | ${BATCH_ROWS} (${BATCH_RPS} req/s) | raw upserts ${RAW_ROWS} rows/s | ≥ 50% of raw | ${BATCH_PCT}%: $(verdict "$(awk -v p="$BATCH_PCT" 'BEGIN {print (p >= 50)}')") |
| single-row requests, 64 clients, group commit | ${SINGLE_RPS} req/s, p99 ${SINGLE_P99} ms | no-op axum ${NOOP_RPS} req/s, p99 ${NOOP_P99} ms | ≥ 5,000 req/s, p99 ≤ 50 ms | $(verdict "$(awk -v r="$SINGLE_RPS" -v p="$SINGLE_P99" 'BEGIN {print (r >= 5000 && p <= 50)}')") |
| single-row requests, 64 clients, one commit per request | ${ONE_RPS} req/s, p99 ${ONE_P99} ms | — | — | what group commit buys |
${TRUST_ROWS}

Load average when the run started: ${LOAD_AT_START} (on a shared machine, other work moves absolute rates;
the baselines of the same run are the comparison).

Non-2xx answers during the runs: batches ${BATCH_BAD}, group commit ${SINGLE_BAD}, one commit per request ${ONE_BAD}.
MD
)
touch BENCHMARKS.md
SECTION="$SECTION" python3 - <<'PY'
import os, re
text = open("BENCHMARKS.md").read()
section = os.environ["SECTION"].rstrip() + "\n"
if not text.strip():
    text = "# Benchmarks\n\n"
pattern = re.compile(r"^## Host\n.*?(?=^## |\Z)", re.S | re.M)
if pattern.search(text):
    text = pattern.sub(lambda m: section + "\n", text, count=1)
else:
    text = text.rstrip() + "\n\n" + section
open("BENCHMARKS.md", "w").write(text.rstrip() + "\n")
PY
echo "BENCHMARKS.md: ## Host updated"
