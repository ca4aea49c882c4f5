#!/usr/bin/env bash
# Runs every test of the solution. Tests start their own RabbitMQ nodes (isolated data folders, free
# ports) and fake Stripe/Wren servers, so nothing else needs to be running.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh --browser
dotnet test PuffinOffset.sln --configuration Release "$@"
