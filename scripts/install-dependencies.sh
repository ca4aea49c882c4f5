#!/usr/bin/env bash
# Installs what running and testing Puffin Offset needs on a fresh Debian machine, and nothing twice:
# RabbitMQ (Debian's rabbitmq-server; no container engine is needed), PostgreSQL (Debian's postgresql, run
# by scripts/postgres-local.sh for tests and DATABASE_PROVIDER=postgres), promtool (Debian's prometheus,
# for the alert rules' checks in deploy/prometheus), amtool (Debian's prometheus-alertmanager, for
# deploy/alertmanager's checks), nginx (the production smoke test, deploy/smoke-test.sh,
# runs the site of deploy/nginx) and, with --browser, Chromium for the end-to-end browser test. Safe to run
# again: it only installs what is missing; it starts none of them (the scripts run their own instances).
set -euo pipefail

want_browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    *) echo "usage: $0 [--browser]" >&2; exit 2 ;;
  esac
done

missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if $want_browser && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Where Debian's packages start their system services, stop them: nothing here uses them.
  $sudo_cmd systemctl stop nginx postgresql rabbitmq-server prometheus prometheus-alertmanager 2>/dev/null || true
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (dotnet on PATH): https://dotnet.microsoft.com/download" >&2
  exit 1
fi
