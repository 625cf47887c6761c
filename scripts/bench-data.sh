#!/usr/bin/env bash
# Data benchmarks (docs/design.md §10, §14): `inlet export events` of 1,000,000 events (CSV and NDJSON),
# rows/s and peak RSS, beside `sqlite3 -csv` reading the same rows in the same order from the same
# file; and a record page (an account with its contacts and its events timeline) and a deep list
# page (keyset, a cursor in the middle) on 1,000,000 events, beside the same queries in `sqlite3`.
# The store is filled with sqlite3 itself (the schema from `inlet`'s own migrations). Export memory
# must stay flat: the run fails when the export's peak RSS passes EXPORT_RSS_BUDGET_MB (64).
# Results go to the "## Data" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

EVENTS=${BENCH_EVENTS:-1000000}
ACCOUNTS=1000
CONTACTS=10000
RUNS=${BENCH_RUNS:-5}
BUDGET_MB=${EXPORT_RSS_BUDGET_MB:-64}
need sqlite3 "bench-data needs sqlite3 (make setup installs it)"

if [ -z "${INLET_BIN:-}" ]; then
  $CARGO build -q --release -p inlet-desktop --bin inlet
fi
BIN=${INLET_BIN:-$PWD/target/release/inlet}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/inlet.db

# The schema as Inlet makes it, then the rows.
"$BIN" --db "$DB" connections create --name bench --kind events --json >"$TMP/conn.json"
CONN=$(sed -n 's/^  "id": "\(.*\)",$/\1/p' "$TMP/conn.json")
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO event_types (name, created_at)
  VALUES ('Signed Up', 't'), ('Paid Invoice', 't'), ('Opened Ticket', 't'), ('Invited Teammate', 't'), ('Churned', 't');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ACCOUNTS)
INSERT INTO accounts (external_id, name, name_fold, properties, connection_id, created_at, updated_at)
  SELECT 'org-' || i, 'Company ' || i, 'company ' || i,
         json_object('industry', 'Software', 'plan', 'growth', 'seats', i), '$CONN', 't', 't' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CONTACTS)
INSERT INTO contacts (external_id, email, email_fold, account_id, properties, connection_id, created_at, updated_at)
  SELECT 'p-' || i, 'person' || i || '@example.com', 'person' || i || '@example.com', 1 + (i % $ACCOUNTS),
         json_object('title', 'Engineer', 'first_name', 'Ada'), '$CONN', 't', 't' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS)
INSERT INTO events (connection_id, event_type_id, account_id, contact_id, timestamp, event_id, properties, received_at, request_id)
  SELECT '$CONN', 1 + (i % 5), 1 + (i % $ACCOUNTS), 1 + (i % $CONTACTS),
         strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i * 7, 'unixepoch'), 'm-' || i,
         json_object('amount', i % 997, 'currency', 'EUR', 'plan', 'growth', 'source', 'web', 'note', 'row ' || i),
         't', 'r-' || (i / 1000) FROM n;
COMMIT;
ANALYZE;
SQL
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null

# measure NAME CMD... : elapsed seconds and peak RSS (MB) of CMD, into NAME_S and NAME_MB.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$TMP/time" "$@"
  read -r secs kb <"$TMP/time"
  printf -v "${name}_S" '%s' "$secs"
  printf -v "${name}_MB" '%s' "$((kb / 1024))"
}
rate() { python3 -c "import sys; print(f'{int($EVENTS / max(float(sys.argv[1]), 1e-9)):,}')" "$1"; }

measure CSV "$BIN" --db "$DB" export events --format csv --output "$TMP/events.csv"
measure NDJSON "$BIN" --db "$DB" export events --format ndjson --output "$TMP/events.ndjson"
# The same rows and order (what `inlet export events` reads), one JSON properties column.
BASE_SQL="SELECT e.id, t.name, e.timestamp, e.event_id, c.id, c.external_id, c.email, a.id, a.external_id, a.name,
  e.received_at, e.connection_id, e.request_id, e.properties
  FROM events e JOIN event_types t ON t.id = e.event_type_id
  LEFT JOIN contacts c ON c.id = e.contact_id LEFT JOIN accounts a ON a.id = e.account_id
  ORDER BY e.timestamp DESC, e.id DESC"
measure SQLITE sh -c "sqlite3 -csv '$DB' \"$BASE_SQL\" > '$TMP/baseline.csv'"
ROWS=$(($(wc -l <"$TMP/events.ndjson")))
[ "$ROWS" -eq "$EVENTS" ] || { echo "the export wrote $ROWS events of $EVENTS"; exit 1; }

# median SECONDS… of RUNS runs of CMD, in milliseconds.
median_ms() {
  local out=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    out+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${out[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
ACC=500
PAGE_MS=$(median_ms "$BIN" --db "$DB" records accounts "$ACC" --json)
PAGE_SQL="SELECT * FROM accounts WHERE id = $ACC;
  SELECT c.*, a.name FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id WHERE c.account_id = $ACC ORDER BY c.id DESC LIMIT 51;
  SELECT e.*, t.name FROM events e JOIN event_types t ON t.id = e.event_type_id WHERE e.account_id = $ACC ORDER BY e.timestamp DESC, e.id DESC LIMIT 51;"
PAGE_BASE_MS=$(median_ms sqlite3 "$DB" "$PAGE_SQL")
# A list page half-way down (the cursor of the middle event): keyset, not OFFSET.
MID=$(sqlite3 "$DB" "SELECT timestamp || '~' || id FROM events ORDER BY timestamp DESC, id DESC LIMIT 1 OFFSET $((EVENTS / 2))")
DEEP_MS=$(median_ms "$BIN" --db "$DB" records events --after "$MID" --limit 100 --json 2>/dev/null)
MID_TS=${MID%~*}; MID_ID=${MID##*~}
DEEP_SQL="SELECT e.*, t.name FROM events e JOIN event_types t ON t.id = e.event_type_id
  WHERE (e.timestamp, e.id) < ('$MID_TS', $MID_ID) ORDER BY e.timestamp DESC, e.id DESC LIMIT 101"
DEEP_BASE_MS=$(median_ms sqlite3 "$DB" "$DEEP_SQL")
START_MS=$(median_ms "$BIN" --version)

verdict=$([ "$CSV_MB" -le "$BUDGET_MB" ] && [ "$NDJSON_MB" -le "$BUDGET_MB" ] && echo "within budget" || echo "**over budget**")
body="## Data

Measured by \`make bench\` (\`scripts/bench-data.sh\`), release build, one SQLite file with
$(printf "%'d" "$EVENTS") events (5 properties each), $(printf "%'d" "$ACCOUNTS") accounts and $(printf "%'d" "$CONTACTS") contacts, filled by \`sqlite3\`; load average
at start $LOAD_AT_START on $(nproc) cores. Peak memory is the maximum RSS (\`/usr/bin/time\`). Pages are
the median of $RUNS runs of a whole process (start, open, query, print), as is the \`sqlite3\` baseline.

| figure | measured | budget | |
|---|---|---|---|
| \`inlet export events --format csv\` | $CSV_S s, $(rate "$CSV_S") rows/s, peak $CSV_MB MB | ≤ $BUDGET_MB MB | $verdict |
| \`inlet export events --format ndjson\` | $NDJSON_S s, $(rate "$NDJSON_S") rows/s, peak $NDJSON_MB MB | ≤ $BUDGET_MB MB | |
| … baseline: \`sqlite3 -csv\`, the same rows and order | $SQLITE_S s, $(rate "$SQLITE_S") rows/s, peak $SQLITE_MB MB | — | |
| record page: \`inlet records accounts ID\` (account, 50 contacts, 50 events newest first) | $PAGE_MS ms | — | |
| … baseline: the same three queries in \`sqlite3\` | $PAGE_BASE_MS ms | — | |
| list page half-way down the events (\`--after\` cursor, 100 rows) | $DEEP_MS ms | — | |
| … baseline: the same keyset query in \`sqlite3\` | $DEEP_BASE_MS ms | — | |
| … baseline: \`inlet --version\` start and exit | $START_MS ms | — | |

The CSV export reads the rows twice in one read transaction (first the property keys, for the
header, then the rows), one chunk of 1,000 in memory at a time; \`sqlite3 -csv\` reads them once and
writes the properties as one JSON column, which is why it is the floor, not a like-for-like rival."
scripts/bench-section.sh "Data" "$body"
echo "$body"
[ "$verdict" = "within budget" ] || { echo "export memory over ${BUDGET_MB} MB"; exit 1; }
