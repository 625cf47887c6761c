#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for tests and benchmarks: its own directory, a free
# loopback port, trust authentication on 127.0.0.1 only (never use this setup for real data; see
# docs/deploy.md). PostgreSQL refuses to run as root, so as root the server runs as the
# unprivileged `postgres` user that Debian's package creates.
#
#   scripts/pg-cluster.sh start DIR        initialise DIR if new, start, print the superuser URL
#   scripts/pg-cluster.sh stop DIR [MODE]  stop (MODE: fast, the default, or immediate)
#   scripts/pg-cluster.sh url DIR          the URL of the cluster in DIR
#   scripts/pg-cluster.sh run -- CMD…      a fresh cluster for the length of CMD: exports
#                                          INLET_TEST_POSTGRES_URL, always stops and removes it
#                                          afterwards, exits with CMD's status
#
# A restarted cluster keeps its port (saved in DIR/port), so URLs handed out stay valid.
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$d" ] || [ ! -x "$d/pg_ctl" ]; then
    echo "pg-cluster: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
    exit 1
  fi
  echo "$d"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A port below the kernel's ephemeral range: every outgoing connection on this machine (tests run
# thousands) takes a local port from that range, and a cluster given one of those fails to bind.
free_port() {
  local p low=32768
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "pg-cluster: no free port found" >&2
  exit 1
}

url_of() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"; }

start() {
  local dir=$1 bin
  bin=$(bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chmod 755 "$dir"
    chown postgres "$dir"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-instructions >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local fresh=0 port attempt
  [ -f "$dir/port" ] || { free_port >"$dir/port"; fresh=1; }
  # A fresh port can still be taken between the check and the bind (another cluster starting);
  # a new cluster then tries another. A restarted one keeps its port, so its URLs stay valid.
  for attempt in 1 2 3 4 5; do
    port=$(cat "$dir/port")
    # Room for several receivers' pools and tests running side by side.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 ${PG_CLUSTER_OPTS:-}" >/dev/null; then
      url_of "$dir"
      return
    fi
    if [ "$fresh" = 1 ] && [ "$attempt" -lt 5 ] && grep -q "Address already in use" "$dir/log"; then
      free_port >"$dir/port"
      : >"$dir/log"
      continue
    fi
    tail -n 20 "$dir/log" >&2
    exit 1
  done
}

stop() {
  local dir=$1 mode=${2:-fast} bin
  bin=$(bindir)
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
}

case "${1:-}" in
  start) start "${2:?DIR}" ;;
  stop) stop "${2:?DIR}" "${3:-fast}" ;;
  url) url_of "${2:?DIR}" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    dir=$(mktemp -d)
    trap 'stop "$dir" fast || true; rm -rf "$dir"' EXIT
    INLET_TEST_POSTGRES_URL=$(start "$dir")
    export INLET_TEST_POSTGRES_URL
    echo "pg-cluster: PostgreSQL for this run at $INLET_TEST_POSTGRES_URL"
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
