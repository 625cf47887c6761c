#!/usr/bin/env bash
# Desktop budgets (DESIGN §10): the window is up within 1 s of start (built), and the app idles
# under 150 MB. Run under Xvfb (the Makefile does). Writes the `## Desktop` section of BENCHMARKS.md.
set -euo pipefail
bin=$(realpath "$1")
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

# Baseline in the same run: the same binary starting and exiting without a window.
base=()
for i in $(seq "$runs"); do
  t0=$(now_ms); "$bin" --version >/dev/null; t1=$(now_ms)
  base+=($((t1 - t0)))
done

ready=()
pss_kb=0
for i in $(seq "$runs"); do
  home="$work/$i"; mkdir -p "$home"
  t0=$(now_ms)
  HOME="$home" XDG_DATA_HOME="$home/data" INLET_DB="$home/inlet.db" INLET_LISTEN=127.0.0.1:0 INLET_REPORT_READY=1 \
    "$bin" 2>"$home/err" &
  pid=$!
  until grep -q "window ready" "$home/err" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$home/err"; echo "the app exited before its window was ready"; exit 1; }
    sleep 0.01
  done
  t1=$(now_ms)
  ready+=($((t1 - t0)))
  if [ "$i" = "$runs" ]; then
    sleep 5 # idle
    # Proportional set size of the app and its WebKit helper processes.
    pids="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
    parts=()
    for p in $pids; do
      kb=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
      anon=$(awk '/^Pss_Anon:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
      pss_kb=$((pss_kb + ${kb:-0}))
      parts+=("$(cat "/proc/$p/comm" 2>/dev/null) $((${kb:-0} / 1024)) MB (of which private heap $((${anon:-0} / 1024)) MB)")
    done
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

# Memory baseline in the same run: the same listener and store without the window (`inlet serve`).
home="$work/serve"; mkdir -p "$home"
HOME="$home" XDG_DATA_HOME="$home/data" INLET_DB="$home/inlet.db" "$bin" serve --listen 127.0.0.1:0 >/dev/null 2>&1 &
spid=$!
sleep 5
serve_kb=$(awk '/^Pss:/ {print $2}' "/proc/$spid/smaps_rollup" 2>/dev/null || echo 0)
kill "$spid"; wait "$spid" 2>/dev/null || true

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r=$(median "${ready[@]}"); b=$(median "${base[@]}")
mb=$((pss_kb / 1024))
section=$(cat <<TXT
## Desktop

Measured by \`make bench\` (\`scripts/bench-desktop.sh\`) under Xvfb, release build, $runs cold starts with a
fresh data directory each, median.

| figure | measured | budget | baseline (same run) |
|---|---|---|---|
| window shown (start → page loaded and drawn) | ${r} ms | ≤ 1000 ms | \`inlet --version\` start+exit: ${b} ms |
| idle memory after 5 s (PSS of the app + WebKit processes) | ${mb} MB | ≤ 150 MB | \`inlet serve\` (same listener, no window): $((serve_kb / 1024)) MB |

Where the idle memory is: $(printf '%s; ' "${parts[@]}")the rest of each figure is WebKitGTK's
and GTK's shared libraries (and, under Xvfb, software GL) mapped into each process.

The start-up time is dominated by WebKitGTK spawning its web and network processes; the Inlet
side (open the store, run migrations, bind the listener) is a few milliseconds of it. Most of the
memory is WebKitGTK itself: its shared libraries mapped into the UI, web and network processes. Setting
\`WEBKIT_DISABLE_COMPOSITING_MODE=1\` saved about 80 MB of the web process under software GL in a
trial, but page snapshots (WebDriver screenshots) then hang, so the app keeps WebKit's default.
TXT
)
scripts/bench-section.sh Desktop "$section"
echo "$section"
