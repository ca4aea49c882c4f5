#!/usr/bin/env bash
# Runs every test of the solution on SQLite and the suites that touch a service database again on PostgreSQL.
# Tests start their own RabbitMQ nodes (isolated data folders, free ports) and fake Stripe/Wren servers; for
# the PostgreSQL runs this script starts one throwaway server (scripts/postgres-local.sh) and every test gets a
# fresh database on it. The replica suite (tests/Replica.Tests: several processes, always PostgreSQL) runs once,
# and so does the short chaos soak (bench/Chaos/ci.sh: two minutes of random faults, then its ledger; one test that
# ends "Chaos soak: N passed, N failed"), as one of the runs beside the test projects. The production smoke test (deploy/smoke-test.sh, "Smoke checks: N passed, N failed") is one of those runs too
# (it waits on rolling upgrades, drains and restores far more than it computes); PUFFIN_TEST_SMOKE=0 leaves it out.
#
# The PostgreSQL runs skip test classes marked [Trait("Engine", "Neutral")]: what they prove does not depend on
# the engine (no database, or only what the SQLite run already proves the same way); see docs/testing.md.
#
# The solution is built once; then every (project, engine) run is its own `dotnet test --no-build` process,
# PUFFIN_TEST_JOBS (default 3) of them at a time, longest first: a test spends most of its time waiting on
# brokers, timers and sockets, so two cores keep several test processes moving. Each run's output is printed
# whole when it ends, so a failure's lines stay together and .ci/run finds every "Passed!/Failed!" summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh --browser
dotnet build PuffinOffset.sln --configuration Release

# Every process of the run lives minutes, not months: dynamic PGO's instrumented re-jits and server GC's heaps cost
# CPU that only a long-lived process earns back. Measured on three 90-second chaos soaks side by side, the five service
# processes used 116 s of CPU as built, 83 s with TieredPGO off and 96 s with workstation GC (docs/testing.md).
export DOTNET_TieredPGO=${DOTNET_TieredPGO:-0} DOTNET_gcServer=${DOTNET_gcServer:-0}

jobs=${PUFFIN_TEST_JOBS:-3}
logs=$(mktemp -d /tmp/puffin-test-logs.XXXXXX)
postgres_dir=$(mktemp -d /tmp/puffin-test-postgres.XXXXXX)
chmod 755 "$postgres_dir"   # the server runs as the postgres user when we are root
# The CPU each run used (its processes, their children and the brokers they start), where this machine lets us
# make cgroups (v1 cpuacct, as root): the suite's wall time is the CPU it needs on two cores (docs/testing.md).
cpu_groups=/sys/fs/cgroup/cpuacct
if [ -w "$cpu_groups" ] && mkdir -p "$cpu_groups/puffin-test-$$" 2>/dev/null; then
  cpu_groups="$cpu_groups/puffin-test-$$"
else
  cpu_groups=
fi
cpu_seconds() { [ -n "$cpu_groups" ] && echo ", $(( $(cat "$cpu_groups/$1/cpuacct.usage") / 1000000000 )) s of CPU"; }
join_cpu_group() {   # moves this shell (and so everything it starts) into the run's group
  [ -n "$cpu_groups" ] || return 0
  mkdir -p "$cpu_groups/$1" && echo "$BASHPID" >"$cpu_groups/$1/cgroup.procs" || true
}

trap 'scripts/postgres-local.sh stop "$postgres_dir/pg" >/dev/null 2>&1 || true; rm -rf "$postgres_dir" "$logs"
  [ -z "$cpu_groups" ] || rmdir "$cpu_groups"/* "$cpu_groups" 2>/dev/null || true' EXIT
PUFFIN_TEST_POSTGRES=$(join_cpu_group PostgreSQL; scripts/postgres-local.sh start "$postgres_dir/pg")
export PUFFIN_TEST_POSTGRES

# "project engine": longest first (durations measured on this machine, see docs/testing.md), so the long
# runs start at once and the short ones fill the gaps at the end.
runs=(
  "Api postgres" "Api sqlite" "Chaos soak" "Smoke production" "Fulfillment sqlite" "Fulfillment postgres" "Pipeline postgres"
  "Messaging sqlite" "Pipeline sqlite" "AppHost sqlite" "Messaging postgres" "Replica postgres"
  "EndToEnd postgres" "EndToEnd sqlite" "StripeSandbox sqlite" "WrenSandbox sqlite" "Platform sqlite" "Platform postgres"
)

# run PROJECT ENGINE [ARGS...]: one test run, its output in $logs/PROJECT-ENGINE, its exit code in ….rc
run() {
  local project=$1 engine=$2 filter=()
  shift 2
  if [ "$project" = Chaos ]; then
    # The short chaos soak (bench/Chaos/ci.sh, one test): on a PostgreSQL of its own, since it restarts it.
    env -u PUFFIN_TEST_POSTGRES bench/Chaos/ci.sh >"$logs/$project-$engine" 2>&1
    return
  fi
  if [ "$project" = Smoke ]; then
    # Published services on a PostgreSQL, RabbitMQ and nginx of its own, free ports and its own folder.
    env -u PUFFIN_TEST_POSTGRES SMOKE_BUILT=1 deploy/smoke-test.sh >"$logs/$project-$engine" 2>&1
    return
  fi
  [ "$engine" = sqlite ] || filter=(--filter "Engine!=Neutral")
  PUFFIN_TEST_DATABASE=$engine dotnet test "tests/$project.Tests/$project.Tests.csproj" --configuration Release \
    --no-build "${filter[@]}" "$@" >"$logs/$project-$engine" 2>&1
}

[ "${PUFFIN_TEST_SMOKE:-1}" != 0 ] || runs=("${runs[@]/Smoke production}")

status=0
suite_started=$(date +%s)
finish() {   # prints one finished run (with when it ended and how long it took) and records its failure
  local name=$1 now
  now=$(date +%s)
  echo "== $name (ended at $(( (now - suite_started) / 60 )) m $(( (now - suite_started) % 60 )) s, took $(( now - ${started_at[$name]} )) s$(cpu_seconds "$name"))"
  cat "$logs/$name"
  [ "$(cat "$logs/$name.rc")" -eq 0 ] || status=1
}

# A test project added later runs on SQLite too, after these.
for folder in tests/*.Tests; do
  [ -f "$folder/$(basename "$folder").csproj" ] || continue
  project=$(basename "$folder" .Tests)
  [[ " ${runs[*]} " == *" $project "* ]] || runs+=("$project sqlite")
done

declare -A running=() started_at=()
reap() {   # prints the runs that have ended
  local name
  for name in "${!running[@]}"; do
    if [ -f "$logs/$name.rc" ]; then finish "$name"; unset "running[$name]"; fi
  done
}
for entry in "${runs[@]}"; do
  [ -n "$entry" ] || continue
  read -r project engine <<<"$entry"
  while reap; [ "${#running[@]}" -ge "$jobs" ]; do sleep 1; done
  ( set +e; join_cpu_group "$project-$engine"; run "$project" "$engine" "$@"; echo $? >"$logs/$project-$engine.rc" ) &
  running["$project-$engine"]=1
  started_at["$project-$engine"]=$(date +%s)
done
while reap; [ "${#running[@]}" -gt 0 ]; do sleep 1; done

[ -z "$cpu_groups" ] || echo "== the shared PostgreSQL server used$(cpu_seconds PostgreSQL | cut -c2-)"
# What the replica suite did and how long it took (docs/scaling.md).
cat tests/Replica.Tests/bin/Release/net10.0/replica-suite-figures.txt 2>/dev/null || true
exit $status
