# Sourced by the scripts/bench-*.sh that post to `inlet serve` or time the store: what they set up
# alike. Source it first thing (after `cd` to the repository), so that the load average is the one
# when the run started, before anything is built.

LOAD_AT_START=$(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo "?")
CARGO=${CARGO:-cargo}

# need PROGRAM MESSAGE : stops the run with MESSAGE when PROGRAM is not installed.
need() { command -v "$1" >/dev/null || { echo "$2"; exit 1; }; }

# listening LOG TRIES : waits up to TRIES tenths of a second for the server logging to LOG to say
# "listening on http://ADDR", and prints ADDR; prints nothing when it never does.
listening() {
  local addr=""
  for _ in $(seq "$2"); do
    addr=$(sed -n 's/^inlet: listening on http:\/\///p' "$1" | head -1)
    [ -n "$addr" ] && { echo "$addr"; return 0; }
    sleep 0.1
  done
}

# setup_db DB : a connection on database DB (a file or a PostgreSQL URL), accounts matched by ID,
# enabled by the mapping `write_batch_inputs` wrote. Needs BIN and TMP; sets ID and AUTH.
setup_db() {
  local created
  created=$("$BIN" --db "$1" connections create --name bench --kind accounts --json)
  ID=$(sed -n 's/^  "id": "\(.*\)",$/\1/p' <<<"$created")
  AUTH=$(sed -n 's/^  "authorization": "\(.*\)",$/\1/p' <<<"$created")
  "$BIN" --db "$1" mapping set "$ID" --file "$TMP/mapping.json" >/dev/null
}

# write_batch_inputs : in TMP, the mapping `setup_db` sets (mapping.json), one batch of 1,000 flat
# 10-field rows (batch.json), and the wrk script that posts it (batch.lua: AUTH, BODY).
write_batch_inputs() {
  local i
  cat >"$TMP/mapping.json" <<'JSON'
{"version": 1, "kind": "accounts", "wrapper_path": "rows", "match": {"id": "id"}}
JSON
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
LUA
}

# wrk_p99 < WRK-OUTPUT : the 99th percentile latency of a `wrk --latency` run, in milliseconds.
wrk_p99() {
  awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us$/, "", v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v*=1000 } printf "%.1f", v }'
}
