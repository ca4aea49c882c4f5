#!/usr/bin/env bash
# Runs the whole system on this machine: installs what is missing, builds, and starts the Aspire AppHost
# (RabbitMQ, the Api and Fulfillment, and the Stripe and Wren sandboxes unless real keys are set) with its
# dashboard over plain HTTP. Ctrl+C (or kill -TERM) stops everything, the broker included. Settings: copy
# .env.example to .env; anything unset gets a local default that needs no account. docs/getting-started.md
# walks through buying an offset in the sandbox storefront. On PostgreSQL with several replicas (the AppHost
# runs Debian's postgres itself when no connection strings are set and no container engine answers):
#   DatabaseProvider=postgres ApiReplicas=2 FulfillmentReplicas=3 scripts/run.sh
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

scripts/install-dependencies.sh

if [ -f .env ]; then
  echo "Loading settings from .env"
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
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
