#!/usr/bin/env bash
# Runs the whole system on this machine: installs what is missing (Debian/Ubuntu only), builds, and starts the Aspire AppHost
# (RabbitMQ, the Api and Fulfillment, and the Stripe and Wren sandboxes unless real keys are set) with its
# dashboard over plain HTTP. Ctrl+C (or kill -TERM) stops everything, the broker included. Settings: copy
# .env.example to .env; anything unset gets a local default that needs no account. docs/getting-started.md
# walks through buying an offset in the sandbox storefront. On PostgreSQL with several replicas (the AppHost
# runs Debian's postgres itself when no connection strings are set and no container engine answers):
#   DATABASE_PROVIDER=postgres ApiReplicas=2 FulfillmentReplicas=3 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dashboard_url=${PUFFIN_DASHBOARD_URL:-http://localhost:15888}

dashboard_port=${dashboard_url##*:}
dashboard_port=${dashboard_port%%/*}
if (echo > "/dev/tcp/127.0.0.1/$dashboard_port") 2>/dev/null; then
  echo "Port $dashboard_port is in use (a running AppHost?): stop it first, or set PUFFIN_DASHBOARD_URL."
  exit 1
fi

if [ -f .env ]; then
  echo "Loading settings from .env"
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi

# The AppHost needs a RabbitMQ (and, with DATABASE_PROVIDER=postgres, a PostgreSQL): an existing one from
# the connection strings, else containers when docker or podman (ASPIRE_CONTAINER_RUNTIME) answers, else
# Debian's packages, which it runs itself. Only that last case needs anything installed.
container_engine=${ASPIRE_CONTAINER_RUNTIME:-${DOTNET_ASPIRE_CONTAINER_RUNTIME:-docker}}
if [ -n "${ConnectionStrings__messaging:-}" ] || "$container_engine" info >/dev/null 2>&1; then
  command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required (dotnet on PATH): https://dotnet.microsoft.com/download" >&2; exit 1; }
elif command -v apt-get >/dev/null 2>&1; then
  scripts/install-dependencies.sh
else
  cat >&2 <<'HELP'
No RabbitMQ for the AppHost: no container engine answers and this is not a Debian/Ubuntu machine (no apt-get).
Either start Docker Desktop or Podman (then ASPIRE_CONTAINER_RUNTIME=podman), and the AppHost runs RabbitMQ
(and PostgreSQL) as containers; or point it at a broker you run, e.g. in .env:
  ConnectionStrings__messaging=amqp://guest:guest@localhost:5672/
See README.md, "Without apt (macOS, Fedora)".
HELP
  exit 1
fi

dotnet build src/AppHost --nologo -v quiet -clp:ErrorsOnly

# The dashboard without a developer certificate: plain HTTP on localhost, a fixed OTLP endpoint, and no
# login (it listens on the loopback interface only). Set ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=false
# to get a login URL printed instead.
export ASPNETCORE_URLS="$dashboard_url"
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=${ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL:-http://localhost:18889}
export ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=${ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS:-true}

echo
echo "Puffin Offset is starting. Dashboard: $dashboard_url  (Ctrl+C stops everything)"
echo "Without Stripe/Wren keys the shop runs offline: open \"Storefront\" on the stripe-sandbox row (docs/getting-started.md)."
echo
exec dotnet run --no-build --project src/AppHost
