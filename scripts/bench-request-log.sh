#!/usr/bin/env bash
# Request-log benchmark (docs/design.md §14): on a full log, the time of `inlet requests` searching the
# bodies for a text, filtering by status class, and reading a page deep in the log (--before), each
# beside the same query run by the `sqlite3` shell on the same file in the same run. Both sides
# start a process and open the file, so the comparison is the whole command a user runs. The log
# is filled with SQL in the store's own schema (made by `inlet`), as the listener would have
# written it: BENCH_LOG_REQUESTS requests of about 1 KiB each (default 100,000), no pruning.
# Results go to the "## Request log" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

N=${BENCH_LOG_REQUESTS:-100000}
RUNS=${BENCH_RUNS:-7}
need sqlite3 "bench-request-log needs the sqlite3 shell (apt-get install sqlite3)"

if [ -n "${INLET_BIN:-}" ]; then BIN=$INLET_BIN; else
  $CARGO build -q --release -p inlet-desktop --bin inlet
  BIN=target/release/inlet
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/inlet.db

ID=$("$BIN" --db "$DB" connections create --name bench --kind accounts --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$BIN" --db "$DB" connections update "$ID" --keep-requests 0 --keep-bytes 0 --json >/dev/null

# N requests, newest last: one in 50 a 422, one in 20 a 202; each body a Hightouch-style row of
# about 1 KiB; the row of request 4242 holds the text searched for.
sqlite3 "$DB" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO requests (id, connection_id, received_at, method, content_type, headers, query, body,
                      has_payload, status, error, outcomes, summary, replay_of, size)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), '$ID',
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', printf('+%d seconds', i * 30)),
       'POST', 'application/json', '{"authorization":"[redacted]"}', NULL,
       CAST(b AS BLOB), 1,
       CASE WHEN i % 50 = 0 THEN 422 WHEN i % 20 = 0 THEN 202 ELSE 200 END,
       CASE WHEN i % 50 = 0 THEN '{"code":"row_errors","detail":"1 of the rows have errors"}' END,
       '[{"index":0,"action":"update"}]',
       '{"rows":1,"created":0,"updated":1,"deleted":0,"skipped":0,"duplicates":0,"errors":0}', NULL,
       length(b)
FROM (SELECT i, json_object('id', 'acct_' || i, 'name', CASE WHEN i = 4242 THEN 'Needle Industries' ELSE 'Account ' || i END,
        'domain', 'a' || i || '.example', 'plan', 'enterprise', 'owner', 'owner' || (i % 97) || '@example.com',
        'notes', printf('%.900c', 'x')) AS b FROM n);
SQL
BYTES=$(stat -c %s "$DB")
MIDDLE=$(printf '%08x-0000-4000-8000-%012x' $((N / 2)) $((N / 2)))

# The statements the store runs (desktop/src/store/queries/requests.rs, `search`), parameters
# inlined for the shell.
COLS="seq, id, connection_id, received_at, method, content_type, headers, query, zeroblob(0), has_payload, status, error, outcomes, summary, replay_of, length(body)"
BASE="SELECT $COLS FROM requests WHERE connection_id = '$ID'"
SQL_SEARCH="$BASE AND seq < 9223372036854775807 AND received_at >= '' AND received_at <= '~' AND status BETWEEN 0 AND 999 AND (instr(lower(CAST(body AS TEXT)), lower('needle industries')) > 0 OR instr(lower(coalesce(error, '')), lower('needle industries')) > 0) ORDER BY seq DESC LIMIT 51;"
SQL_STATUS="$BASE AND seq < 9223372036854775807 AND received_at >= '' AND received_at <= '~' AND status BETWEEN 400 AND 499 ORDER BY seq DESC LIMIT 51;"
SQL_PAGE="$BASE AND seq < (SELECT seq FROM requests WHERE connection_id = '$ID' AND id = '$MIDDLE') AND received_at >= '' AND received_at <= '~' AND status BETWEEN 0 AND 999 ORDER BY seq DESC LIMIT 101;"

# median_ms CMD... : the median wall time of RUNS runs, in milliseconds (the first run warms the cache).
median_ms() {
  python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
ts = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print(f"{ts[len(ts) // 2]:.1f}")
PY
}

found=$("$BIN" --db "$DB" requests "$ID" --search 'needle industries' --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$found" = 1 ] || { echo "the search found $found requests, not 1"; exit 1; }

S_INLET=$(median_ms "$BIN" --db "$DB" requests "$ID" --search 'needle industries' --json)
S_SQL=$(median_ms sqlite3 "$DB" "$SQL_SEARCH")
C_INLET=$(median_ms "$BIN" --db "$DB" requests "$ID" --status 4xx --json)
C_SQL=$(median_ms sqlite3 "$DB" "$SQL_STATUS")
P_INLET=$(median_ms "$BIN" --db "$DB" requests "$ID" --limit 100 --before "$MIDDLE" --json)
P_SQL=$(median_ms sqlite3 "$DB" "$SQL_PAGE")
O_INLET=$(median_ms "$BIN" --db "$DB" connections list --json)

BODY="## Request log

Measured by \`make bench-request-log\` (\`scripts/bench-request-log.sh\`) on $(date -u +%F), $(nproc) cores,
release build. The log: $N requests of about 1 KiB on one connection ($((BYTES / 1048576)) MiB file, nothing
pruned), one in 50 a 422. Each figure is the median of $RUNS runs of the whole command (process start,
opening the file, the query, printing JSON), beside the \`sqlite3\` shell running the store's own
statement on the same file in the same run.

| measure | \`inlet requests …\` | \`sqlite3\`, same query |
|---|---|---|
| search the bodies for a text (one match, the whole log read) | $S_INLET ms | $S_SQL ms |
| status class 4xx, first page of 50 | $C_INLET ms | $C_SQL ms |
| a page of 100 from the middle of the log (\`--before\`) | $P_INLET ms | $P_SQL ms |

For scale, \`inlet connections list --json\` (start, open, one small query) takes $O_INLET ms.
Load average when the run started: $LOAD_AT_START."

echo "$BODY"
scripts/bench-section.sh "Request log" "$BODY"
