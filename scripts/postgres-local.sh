#!/usr/bin/env bash
# A throwaway PostgreSQL from Debian's package (postgresql-15), everything in DATA_DIR: for tests, CI, the
# AppHost and the smoke test. PostgreSQL refuses to run as root, so as root every server command runs as
# the `postgres` user (DATA_DIR is handed to it). Durability is traded for speed (fsync off): never keep
# anything you care about in it.
#
# usage: scripts/postgres-local.sh start DATA_DIR [PORT]   initdb if needed, start in the background on a free
#                                                          (or the given) loopback port, wait until it accepts
#                                                          connections, print its Npgsql connection string
#        scripts/postgres-local.sh run DATA_DIR PORT [DATABASE...]
#                                                          the same server, this script staying in the foreground
#                                                          (the AppHost's resource): creates the databases that are
#                                                          missing, shows the server's log, SIGTERM stops it (fast)
#        scripts/postgres-local.sh stop DATA_DIR           fast shutdown
set -euo pipefail

usage() { sed -n '7,15p' "$0" | sed 's/^# //' >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 data_dir=$2 port=${3:-}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed: run scripts/install-dependencies.sh (apt-get install postgresql)." >&2
  exit 1
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local candidate
  for _ in $(seq 1 200); do
    candidate=$(( 20000 + RANDOM % 20000 ))
    if ! (echo > "/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then echo "$candidate"; return; fi
  done
  echo "No free port found." >&2; exit 1
}

init_cluster() {
  mkdir -p "$data_dir"
  data_dir=$(cd "$data_dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$data_dir"
    if ! runuser -u postgres -- test -w "$data_dir"; then
      echo "The postgres user cannot reach $data_dir: every folder above it must be searchable by others (chmod o+x)." >&2
      exit 1
    fi
  fi
  if [ ! -f "$data_dir/data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$data_dir/data" -A trust -U postgres --encoding=UTF8 --no-sync >"$data_dir/initdb.log" 2>&1 \
      || { cat "$data_dir/initdb.log" >&2; exit 1; }
  fi
}

# Loopback TCP only (no Unix socket: DATA_DIR paths may exceed its length limit). Each test database keeps
# a small connection pool, hence more connections than the default 100.
server_options=(-c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=400
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off)

connection_string() { echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres"; }

case "$command" in
  start)
    init_cluster
    given_port=$port
    for attempt in 1 2 3 4 5; do
      port=${given_port:-$(free_port)}
      logged=$( (wc -l <"$data_dir/server.log") 2>/dev/null || echo 0)
      as_postgres "$bin/pg_ctl" -D "$data_dir/data" -l "$data_dir/server.log" -o "-p $port ${server_options[*]}" start \
        >/dev/null 2>"$data_dir/pg_ctl.err" && break
      # A port found free can be taken by another process (a test's broker, another server) before the server binds
      # it: with a port of our own choosing, try another one.
      if [ -z "$given_port" ] && [ "$attempt" -lt 5 ] \
        && tail -n +"$((logged + 1))" "$data_dir/server.log" | grep -q "Address already in use"; then
        continue
      fi
      cat "$data_dir/pg_ctl.err" "$data_dir/server.log" >&2
      exit 1
    done
    for _ in $(seq 1 120); do
      if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then connection_string "$port"; exit 0; fi
      sleep 0.25
    done
    echo "PostgreSQL did not accept connections on port $port within 30 s; see $data_dir/server.log" >&2
    exit 1
    ;;
  run)
    [ -n "$port" ] || usage
    shift 3
    init_cluster
    # A server still running from this folder was left by a killed AppHost: stop it (its port is stale).
    if as_postgres "$bin/pg_ctl" -D "$data_dir/data" status >/dev/null 2>&1; then
      echo "Stopping a leftover PostgreSQL server of $data_dir"
      as_postgres "$bin/pg_ctl" -D "$data_dir/data" stop -m fast >/dev/null
    fi
    # pg_ctl, not an exec of postgres: as root the server runs under runuser, which answers SIGTERM with
    # SIGKILL two seconds later, and a killed postmaster leaves its backends and shared memory behind.
    trap 'as_postgres "$bin/pg_ctl" -D "$data_dir/data" stop -m fast >/dev/null 2>&1 || true; kill "$log_tail" 2>/dev/null; exit 0' TERM INT
    : >"$data_dir/server.log"
    [ "$(id -u)" -ne 0 ] || chown postgres "$data_dir/server.log"
    tail -n 0 -F "$data_dir/server.log" 2>/dev/null &
    log_tail=$!
    as_postgres "$bin/pg_ctl" -D "$data_dir/data" -l "$data_dir/server.log" -o "-p $port ${server_options[*]}" -w -t 60 start >/dev/null \
      || { kill "$log_tail"; exit 1; }
    for database in "$@"; do
      if [ -z "$("$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
        "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE \"$database\"" \
          || { as_postgres "$bin/pg_ctl" -D "$data_dir/data" stop -m fast >/dev/null; kill "$log_tail"; exit 1; }
        echo "Created database $database"
      fi
    done
    echo "PostgreSQL ready on 127.0.0.1:$port, data in $data_dir: $(connection_string "$port")"
    # Stay in the foreground while the server runs; a server that dies ends this script with an error.
    while as_postgres "$bin/pg_ctl" -D "$data_dir/data" status >/dev/null 2>&1; do
      sleep 2 &
      wait $! || true
    done
    kill "$log_tail" 2>/dev/null
    echo "PostgreSQL stopped unexpectedly; see $data_dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$data_dir/data/postmaster.pid" ]; then
      as_postgres "$bin/pg_ctl" -D "$data_dir/data" stop -m fast >/dev/null
    fi
    ;;
  *) usage ;;
esac
