#!/usr/bin/env bash
# Runs every test of the solution, then the suites that touch a service database again on
# PostgreSQL. Tests start their own RabbitMQ nodes (isolated data folders, free ports) and fake
# Stripe/Wren servers; for the PostgreSQL pass this script starts one throwaway server
# (scripts/postgres-local.sh) and every test gets a fresh database on it. The replica suite
# (tests/Replica.Tests: several processes, always PostgreSQL) runs once, in the PostgreSQL pass.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh --browser
status=0
dotnet test PuffinOffset.sln --configuration Release --filter "FullyQualifiedName!~PuffinOffset.Replica.Tests" "$@" || status=$?

postgres_dir=$(mktemp -d /tmp/puffin-test-postgres.XXXXXX)
chmod 755 "$postgres_dir"   # the server runs as the postgres user when we are root
trap 'scripts/postgres-local.sh stop "$postgres_dir/pg" >/dev/null 2>&1 || true; rm -rf "$postgres_dir"' EXIT
PUFFIN_TEST_POSTGRES=$(scripts/postgres-local.sh start "$postgres_dir/pg")
export PUFFIN_TEST_POSTGRES PUFFIN_TEST_DATABASE=postgres
for suite in Messaging Api Fulfillment Pipeline EndToEnd Replica; do
  echo "== $suite.Tests on PostgreSQL"
  dotnet test "tests/$suite.Tests/$suite.Tests.csproj" --configuration Release --no-build "$@" || status=$?
done
# What the replica suite did and how long it took (docs/scaling.md).
cat tests/Replica.Tests/bin/Release/net10.0/replica-suite-figures.txt 2>/dev/null || true
exit $status
