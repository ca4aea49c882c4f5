#!/usr/bin/env bash
# Start-up of the Api: wall time from `dotnet Api.dll` to /health answering 200, and the process's CPU
# (utime + stime) at that moment, RUNS times for each build given (docs/performance.md, "ReadyToRun").
# A RabbitMQ node of its own (its own epmd port) and a fresh SQLite file per start; NAME=VALUE arguments
# after a build's path are set in its environment (e.g. DOTNET_TieredPGO=0).
#
# usage: bench/Startup/startup.sh [--runs N] API_DLL [NAME=VALUE ...] [-- API_DLL [NAME=VALUE ...]] ...
#   dotnet build -c Release src/Api
#   dotnet publish src/Api -c Release -r linux-x64 --self-contained false -o /tmp/api-r2r
#   bench/Startup/startup.sh src/Api/bin/Release/net10.0/Api.dll -- /tmp/api-r2r/Api.dll
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=6
if [ "${1:-}" = "--runs" ]; then runs=$2; shift 2; fi
[ $# -ge 1 ] || { sed -n 2,10p "$0" >&2; exit 2; }

work=$(mktemp -d /tmp/puffin-startup-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
amqp=$(free_port) dist=$(free_port) mgmt=$(free_port) epmd=$(free_port)
ERL_EPMD_PORT=$epmd setsid bash scripts/rabbitmq-local.sh "$work/rabbit" "startup$$@localhost" "$amqp" "$dist" "$mgmt" \
  > "$work/rabbit.log" 2>&1 &
rabbit=$!
cleanup() {
  kill -- -"$rabbit" 2>/dev/null || true
  ERL_EPMD_PORT=$epmd epmd -kill >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 240); do (echo > "/dev/tcp/127.0.0.1/$amqp") 2>/dev/null && break; sleep 0.5; done

tick=$(getconf CLK_TCK)
measure() { # DLL NAME=VALUE...
  local dll=$1; shift
  local walls=() cpus=()
  for n in $(seq 1 "$runs"); do
    local port; port=$(free_port)
    local t0; t0=$(date +%s%N)
    env -i PATH="$PATH" HOME="$HOME" "$@" \
      STRIPE_SECRET_KEY=sk_test_STARTUP STRIPE_WEBHOOK_SECRET=whsec_STARTUP0123456789abcdefghijABCDEFGHIJ \
      STRIPE_API_BASE=http://127.0.0.1:9 WREN_API_BASE=http://127.0.0.1:9 FRONTEND_URL=https://shop.example.test \
      DATABASE_PATH="$work/orders-$n.db" ConnectionStrings__messaging="amqp://guest:guest@127.0.0.1:$amqp/" \
      ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "$dll" > "$work/api-$n.log" 2>&1 &
    local pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
      kill -0 "$pid" 2>/dev/null || { echo "the Api exited before it was ready:" >&2; tail -20 "$work/api-$n.log" >&2; exit 1; }
      sleep 0.05
    done
    local t1; t1=$(date +%s%N)
    walls+=($(( (t1 - t0) / 1000000 )))
    cpus+=($(awk -v t="$tick" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$pid/stat"))
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  echo "$dll $*: ready in $(median "${walls[@]}") ms (runs: ${walls[*]}), CPU $(median "${cpus[@]}") ms (runs: ${cpus[*]})"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
args=()
for arg in "$@" --; do
  if [ "$arg" = "--" ]; then
    [ ${#args[@]} -gt 0 ] && measure "${args[@]}"
    args=()
  else
    args+=("$arg")
  fi
done
