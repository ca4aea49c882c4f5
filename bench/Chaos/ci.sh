#!/usr/bin/env bash
# The chaos soak as one CI test (docs/scaling.md, "The chaos soak"): two minutes of random faults on PostgreSQL with a
# fixed seed, then the ledger. Prints the soak's output, then "Chaos soak: 1 passed, 0 failed" (or "0 passed, 1 failed"
# and a "FAIL: chaos soak …" line naming the seed and the exit code) and exits with the soak's status.
#
# Wall time is bounded for a loaded CI machine: the workload runs CHAOS_DURATION (2 min), the wait for the system to
# settle is capped at CHAOS_SETTLE (2.5 min), and the whole run is killed after CHAOS_LIMIT (9 min). The soak runs in a
# process group of its own, killed when it ends; its RabbitMQ node (a process group of its own too) and its replicas
# are killed by the soak's watchdog once the soak is gone, and its PostgreSQL stops itself the same way.
set -uo pipefail
cd "$(dirname "$0")/../.."

duration=${CHAOS_DURATION:-00:02:00}
seed=${CHAOS_SEED:-42}
settle=${CHAOS_SETTLE:-00:02:30}
limit=${CHAOS_LIMIT:-9m}
dll=bench/Chaos/bin/Release/net10.0/Chaos.dll
# scripts/test.sh builds the solution (bench/Chaos is in it); build only when run on its own.
[ -f "$dll" ] || dotnet build bench/Chaos/Chaos.csproj --configuration Release >/dev/null || exit 1

started=$(date +%s)
setsid timeout --kill-after=30s "$limit" dotnet "$dll" --duration "$duration" --seed "$seed" --provider postgres --settle "$settle" &
soak=$!
wait "$soak"
status=$?
# bash's own kill: procps-ng's /usr/bin/kill 4.0.2 misreads a negative process group id as "every process".
kill -KILL -- "-$soak" 2>/dev/null || true

echo "chaos soak: exit $status after $(($(date +%s) - started)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$status" -eq 0 ]; then
  echo "Chaos soak: 1 passed, 0 failed"
else
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || echo "the soak did not end within $limit and was killed"
  echo "FAIL: chaos soak --seed $seed --duration $duration --provider postgres (exit $status)"
  echo "Chaos soak: 0 passed, 1 failed"
fi
exit "$status"
