#!/usr/bin/env bash
# The production smoke test: the published services run as the systemd units in deploy/systemd run them
# (same environment file format, the units' own Environment= and LoadCredential= lines, the migration
# step first), on PostgreSQL (a throwaway server from Debian's package, one database and one role per
# service, as docs/production.md sets them up) and RabbitMQ, behind nginx with this repository's site
# configuration and a self-signed certificate, with the Stripe and Wren sandboxes as the outside world.
# Fulfillment runs as two replicas on one database (docs/scaling.md). Then, over HTTPS through nginx only,
# it buys an offset, checks the order is in PostgreSQL, checks the rate limit per client address, checks
# what the internet must not reach, kills a Fulfillment replica with SIGKILL, restarts it as systemd would
# and buys a second offset.
#
# Called by .ci/run; runs alone too: deploy/smoke-test.sh. Installs what is missing from Debian, uses free ports
# and its own temporary folder, and removes everything it started when it ends. SMOKE_BUILT=1 says the solution is
# already built in Release (scripts/test.sh builds it first), so the publish steps only copy it.
# Prints "Smoke checks: N passed, N failed" last; exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

started=$(date +%s)
passed=0
failed=0
tmp=$(mktemp -d /tmp/puffin-smoke.XXXXXX)
pids=()

log() { printf '[smoke %3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
pass() { passed=$((passed + 1)); log "PASS: $*"; }
fail() {
  failed=$((failed + 1))
  log "FAIL: $*"
  for file in "$tmp"/log/*.log; do
    [ -f "$file" ] || continue
    echo "----- last lines of $(basename "$file")"
    tail -n 25 "$file"
  done
  exit 1
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Supervisors first (they stop their service), then everything else; each was started by this script.
  for pid in $(printf '%s\n' "${pids[@]}" | tac); do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "${postgres_started:-}" ]; then
    scripts/postgres-local.sh stop "$tmp/postgres" >/dev/null 2>&1 || true
  fi
  if [ -n "${epmd_port:-}" ]; then
    /usr/lib/erlang/erts-*/bin/epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true
  fi
  # SMOKE_KEEP=1 keeps the folder (logs, databases) for a post-mortem.
  if [ -n "${SMOKE_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
  echo "Smoke checks: $passed passed, $failed failed"
  # A failure inside a command substitution ends that subshell; the status still tells.
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi
  exit "$status"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_for() { # description timeout-seconds command...
  local what=$1 timeout=$2
  shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then fail "$what (not within ${timeout}s)"; fi
    sleep 0.5
  done
}

# --- What the machine needs (Debian/Ubuntu packages), installed only when missing -------------------
missing=()
command -v nginx >/dev/null || missing+=(nginx)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged services; this test runs its own.
  $sudo_cmd systemctl stop nginx rabbitmq-server postgresql 2>/dev/null || true
fi

mkdir -p "$tmp"/{log,app,state,home,credentials,tls,www}
chmod 711 "$tmp"            # nginx workers (nobody) and postgres traverse to their folders, nothing more
chmod 700 "$tmp/credentials"

# --- Publish, as a release would ---------------------------------------------------------------------
log "publishing the services and the sandboxes (dotnet publish -c Release)"
for project in ${SMOKE_SKIP_PUBLISH:+none} Api Fulfillment StripeSandbox WrenSandbox; do
  [ "$project" = none ] && { cp -r "$SMOKE_SKIP_PUBLISH"/. "$tmp/app/"; break; }  # a previous run's output, when iterating
  folder=$(echo "$project" | tr '[:upper:]' '[:lower:]')
  dotnet publish "src/$project/$project.csproj" -c Release ${SMOKE_BUILT:+--no-build} -o "$tmp/app/$folder" --nologo -v quiet \
    >"$tmp/log/publish-$folder.log" 2>&1 || fail "dotnet publish $project"
done
# The services as an installed release (docs/production.md): releases/<version>/{api,fulfillment} and the `current`
# link the units run from; the build stays in $tmp/build for deploy/release.sh's rolling upgrade further down.
mkdir -p "$tmp/build" "$tmp/app/releases/smoke-1"
mv "$tmp/app/api" "$tmp/app/fulfillment" "$tmp/build/"
cp -a "$tmp/build"/. "$tmp/app/releases/smoke-1/"
ln -s releases/smoke-1 "$tmp/app/current"
pass "published Api, Fulfillment and both sandboxes"

# --- The outside world and the infrastructure ---------------------------------------------------------
api_port=$(free_port); stripe_port=$(free_port); wren_port=$(free_port)
api2_port=$(free_port); api2_management_port=$(free_port)   # the second Api instance (puffin-offset-api@2)
fulfillment_ports=("$(free_port)" "$(free_port)")
# Each service's management listener (MANAGEMENT_URLS): admin API and console, /metrics, /health, /alive.
api_management_port=$(free_port)
fulfillment_management_ports=("$(free_port)" "$(free_port)")
http_port=$(free_port); https_port=$(free_port)
amqp_port=$(free_port); dist_port=$(free_port); management_port=$(free_port)

# The node gets an epmd of its own, killed at the end. The machine's epmd serves other nodes (a test run beside
# this one): killing it while one of them boots ends that node with "nodistribution" (and exit code 0).
epmd_port=$(free_port)
node="puffin-smoke-$$@localhost"
ERL_EPMD_PORT=$epmd_port setsid scripts/rabbitmq-local.sh "$tmp/rabbitmq" "$node" "$amqp_port" "$dist_port" "$management_port" \
  >"$tmp/log/rabbitmq.log" 2>&1 &
pids+=($!)

wren_token="puffin-smoke-live-$$"
(cd "$tmp/app/wrensandbox" && exec env -i PATH="$PATH" HOME="$tmp/home" ASPNETCORE_ENVIRONMENT=Development \
  ${DOTNET_ROOT:+DOTNET_ROOT="$DOTNET_ROOT"} ASPNETCORE_URLS="http://127.0.0.1:$wren_port" WrenSandbox__LiveTokens__0="$wren_token" \
  dotnet WrenSandbox.dll) >"$tmp/log/wren-sandbox.log" 2>&1 &
pids+=($!)
(cd "$tmp/app/stripesandbox" && exec env -i PATH="$PATH" HOME="$tmp/home" ASPNETCORE_ENVIRONMENT=Development \
  ${DOTNET_ROOT:+DOTNET_ROOT="$DOTNET_ROOT"} ASPNETCORE_URLS="http://127.0.0.1:$stripe_port" dotnet StripeSandbox.dll) >"$tmp/log/stripe-sandbox.log" 2>&1 &
pids+=($!)

# PostgreSQL as the postgres user (it refuses root), loopback only; then what docs/production.md creates:
# a role and a database per service, each database owned by its service's role (no superuser).
postgres_started=1
scripts/postgres-local.sh start "$tmp/postgres" >"$tmp/log/postgres-start.log" 2>&1 \
  || { cat "$tmp/log/postgres-start.log"; fail "PostgreSQL did not start"; }
pg_port=$(sed -nE 's/.*;Port=([0-9]+);.*/\1/p' "$tmp/log/postgres-start.log")
psql_as() { # user database sql → rows, unaligned
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U "$1" -d "$2" -tA -c "$3"
}
api_db_password=$(openssl rand -hex 12)
fulfillment_db_password=$(openssl rand -hex 12)
for sql in "CREATE ROLE puffin_api LOGIN PASSWORD '$api_db_password'" \
           "CREATE ROLE puffin_fulfillment LOGIN PASSWORD '$fulfillment_db_password'" \
           "CREATE DATABASE puffin_orders OWNER puffin_api" \
           "CREATE DATABASE puffin_fulfillment OWNER puffin_fulfillment"; do
  psql_as postgres postgres "$sql" >>"$tmp/log/postgres-start.log" 2>&1 || fail "PostgreSQL: $sql"
done
log "PostgreSQL $(psql_as postgres postgres 'SHOW server_version') on 127.0.0.1:$pg_port"

wait_for "RabbitMQ accepts connections" 90 bash -c "echo > /dev/tcp/127.0.0.1/$amqp_port"
wait_for "the Wren sandbox is healthy" 60 curl -fsS "http://127.0.0.1:$wren_port/health"
wait_for "the Stripe sandbox is healthy" 60 curl -fsS "http://127.0.0.1:$stripe_port/health"
pass "PostgreSQL (a database and role per service), RabbitMQ, the Stripe sandbox and the Wren sandbox are up"

# --- Configuration exactly as production has it: the example environment files, then this machine's values.
# Each unit's credentials are its own folder of files (/etc/puffin-offset/credentials/<service>/ in production).
mkdir -p "$tmp/etc" "$tmp/secrets/api" "$tmp/secrets/fulfillment"
chmod 700 "$tmp/secrets"
webhook_secret="whsec_SMOKEONLY$(openssl rand -hex 16)"
printf 'sk_test_SMOKEONLY%s\n' "$(openssl rand -hex 8)" >"$tmp/secrets/api/stripe-secret-key"
printf '%s\n' "$webhook_secret" >"$tmp/secrets/api/stripe-webhook-secret"
printf 'admin-SMOKEONLY-%s\n' "$(openssl rand -hex 16)" >"$tmp/secrets/api/admin-api-key"
printf 'Host=127.0.0.1;Port=%s;Database=puffin_orders;Username=puffin_api;Password=%s\n' "$pg_port" "$api_db_password" \
  >"$tmp/secrets/api/orders-connection-string"
printf '%s\n' "$wren_token" >"$tmp/secrets/fulfillment/wren-api-token"
# Fulfillment's service key (it asks the Api about refunds); the Api holds only its SHA-256 (api.env's SERVICE_API_KEYS_FILE).
printf 'fulfillment-SMOKEONLY-%s\n' "$(openssl rand -hex 16)" >"$tmp/secrets/fulfillment/api-service-key"
printf 'fulfillment %s\n' "$(tr -d '\n' <"$tmp/secrets/fulfillment/api-service-key" | sha256sum | cut -d' ' -f1)" >"$tmp/etc/service-keys"
printf 'Host=127.0.0.1;Port=%s;Database=puffin_fulfillment;Username=puffin_fulfillment;Password=%s\n' "$pg_port" "$fulfillment_db_password" \
  >"$tmp/secrets/fulfillment/fulfillment-connection-string"
for service in api fulfillment; do
  printf 'amqp://guest:guest@127.0.0.1:%s/\n' "$amqp_port" >"$tmp/secrets/$service/messaging-connection-string"
done

{
  cat deploy/puffin-offset.env.example
  echo "# --- smoke test: this machine's values (later lines win, in systemd as here)"
  echo "DATABASE_PROVIDER=postgres"
} >"$tmp/etc/puffin-offset.env"
{
  cat deploy/api.env.example
  echo "# --- smoke test: this machine's values"
  echo "STRIPE_API_BASE=http://127.0.0.1:$stripe_port"
  echo "WREN_API_BASE=http://127.0.0.1:$wren_port"
  echo "FRONTEND_URL=https://shop.smoke.test"
  echo "CHECKOUT_RATE_LIMIT_PER_MINUTE=3"
  echo "TRUSTED_PROXIES=127.0.0.1"
  echo "SERVICE_API_KEYS_FILE=$tmp/etc/service-keys"
} >"$tmp/etc/api.env"
for instance in 1 2; do
  {
    cat "deploy/api-$instance.env.example"
    echo "# --- smoke test: this machine's ports"
    if [ "$instance" = 1 ]; then ports="$api_port $api_management_port"; else ports="$api2_port $api2_management_port"; fi
    echo "ASPNETCORE_URLS=http://127.0.0.1:${ports% *}"
    echo "MANAGEMENT_URLS=http://127.0.0.1:${ports#* }"
  } >"$tmp/etc/api-$instance.env"
done
{
  cat deploy/fulfillment.env.example
  echo "# --- smoke test: this machine's values"
  echo "WREN_API_BASE=http://127.0.0.1:$wren_port"
  echo "WREN_DRY_RUN=false"
  echo "API_INTERNAL_URLS=http://127.0.0.1:$api_management_port,http://127.0.0.1:$api2_management_port"
} >"$tmp/etc/fulfillment.env"

# A unit's command lines and environment, read from deploy/systemd: its EnvironmentFile= lines (this machine's
# files), then its Environment= lines, with %d (the unit's credentials folder) and /opt/puffin-offset replaced.
unit_file() { # unit → its file; an instance (puffin-offset-api@1) → the template's (puffin-offset-api@.service)
  if [[ "$1" == *@* ]]; then echo "deploy/systemd/${1%@*}@.service"; else echo "deploy/systemd/$1.service"; fi
}
unit_environment() { # unit port[/management-port]
  local unit credentials="$tmp/credentials/$1" port=${2%%/*} management= file instance=
  unit=$(unit_file "$1")
  [[ "$1" == *@* ]] && instance=${1#*@}
  [[ "${2:-}" == */* ]] && management=${2#*/}
  mkdir -p "$credentials"
  # LoadCredential=name:path → a copy of that secret file in the unit's own credentials folder.
  # (Each grep may find nothing: not an error here.)
  { grep '^LoadCredential=' "$unit" || true; } | sed 's/^LoadCredential=//' | while IFS=: read -r name path; do
    cp "$tmp/secrets/${path#/etc/puffin-offset/credentials/}" "$credentials/$name"
  done
  echo "PATH=$PATH"
  echo "HOME=$tmp/home"
  if [ -n "${DOTNET_ROOT:-}" ]; then echo "DOTNET_ROOT=$DOTNET_ROOT"; fi
  while read -r file; do
    grep -vE '^\s*(#|$)' "$tmp/etc/${file#/etc/puffin-offset/}"
  done < <(grep '^EnvironmentFile=' "$unit" | sed "s/^EnvironmentFile=//; s/%i/$instance/g")
  { grep '^Environment=' "$unit" || true; } | sed "s/^Environment=//; s|%d|$credentials|g"
  if [ -n "$port" ]; then echo "ASPNETCORE_URLS=http://127.0.0.1:$port"; fi
  if [ -n "$management" ]; then echo "MANAGEMENT_URLS=http://127.0.0.1:$management"; fi
}
unit_commands() { grep '^ExecStart=' "$(unit_file "$1")" | sed "s/^ExecStart=//; s|/usr/bin/dotnet|dotnet|; s|/opt/puffin-offset|$tmp/app|g"; }

run_unit_command() { # unit port command...: becomes the command, with exactly the unit's environment (call it in a subshell)
  local unit=$1 port=$2
  shift 2
  local -a environment=()
  mapfile -t environment < <(unit_environment "$unit" "$port")
  # The environment file's own lines must be there: never run a unit on defaults.
  printf '%s\n' "${environment[@]}" | grep -q '^ASPNETCORE_ENVIRONMENT=' || { echo "no environment for $unit" >&2; return 1; }
  # exec: the process is the service itself, so its pid is the one a signal (or SIGKILL) reaches.
  exec env -i "${environment[@]}" "$@"
}

# --- The migration step, then the services (MIGRATE_ON_STARTUP=false: they must not need to migrate) --
for migrate_unit in puffin-offset-api-migrate puffin-offset-fulfillment-migrate; do
  while read -r -a command; do
    (run_unit_command "$migrate_unit" "" "${command[@]}") </dev/null >>"$tmp/log/migrate.log" 2>&1 \
      || fail "the migration step $migrate_unit (${command[*]}) exited non-zero"
  done < <(unit_commands "$migrate_unit")
done
grep -E '^(Api|Fulfillment): ' "$tmp/log/migrate.log" || true
migrations() { psql_as "$1" "$2" 'SELECT count(*) FROM "__EFMigrationsHistory"' 2>/dev/null || echo 0; }
[ "$(migrations puffin_api puffin_orders)" -ge 1 ] || fail "no migration recorded in PostgreSQL database puffin_orders"
[ "$(migrations puffin_fulfillment puffin_fulfillment)" -ge 1 ] || fail "no migration recorded in PostgreSQL database puffin_fulfillment"
pass "the migration steps applied both services' migrations to their PostgreSQL databases and exited 0"

# Restart=on-failure, RestartSec=1: what systemd does when the process dies, SIGKILL included.
# An instance name runs a second copy of a unit (as a templated unit or a second machine would).
supervise() { # unit port/management-port [instance]
  local unit=$1 port=$2 name=$1${3:+-$3} command
  read -r -a command < <(unit_commands "$unit")
  (
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
    while true; do
      run_unit_command "$unit" "$port" "${command[@]}" </dev/null >>"$tmp/log/$name.log" 2>&1 &
      child=$!
      echo "$child" >"$tmp/$name.pid"
      status=0
      wait "$child" || status=$?
      if [ -e "$tmp/$name.restart" ]; then   # systemctl restart (smoke_systemctl below): start it again now
        rm -f "$tmp/$name.restart"
        echo "[supervisor] $name stopped for a restart (exit $status)" >>"$tmp/log/$name.log"
        continue
      fi
      [ "$status" -eq 0 ] && exit 0
      echo "[supervisor] $name exited with $status; restarting in 1 s" >>"$tmp/log/$name.log"
      sleep 1
    done
  ) &
  pids+=($!)
  echo "$!" >"$tmp/$name.supervisor"
}
for instance in 1 2; do
  grep -q '^MANAGEMENT_URLS=http://127.0.0.1:' "deploy/api-$instance.env.example" \
    || fail "Api instance $instance's environment file does not put its management listener on loopback"
done
# Two Api instances behind nginx's upstream (puffin-offset-api@.service, ports from api-1.env and api-2.env).
supervise puffin-offset-api@1 "$api_port/$api_management_port"
supervise puffin-offset-api@2 "$api2_port/$api2_management_port"
# Two Fulfillment replicas on one database and one queue: leases decide who buys (docs/scaling.md).
supervise puffin-offset-fulfillment "${fulfillment_ports[0]}/${fulfillment_management_ports[0]}" 1
supervise puffin-offset-fulfillment "${fulfillment_ports[1]}/${fulfillment_management_ports[1]}" 2
wait_for "the Api is healthy (database and broker)" 120 curl -fsS "http://127.0.0.1:$api_management_port/health"
wait_for "the second Api instance is healthy (database and broker)" 120 curl -fsS "http://127.0.0.1:$api2_management_port/health"
# Each instance's first price list and checkout path warmed before the checks' 20 s limits (JIT and Wren's
# portfolios on a loaded machine).
for port in "$api_port" "$api2_port"; do curl -fsS -o /dev/null --max-time 120 "http://127.0.0.1:$port/api/portfolios" || true; done
for port in "${fulfillment_management_ports[@]}"; do
  wait_for "Fulfillment (management port $port) is healthy (database and broker)" 120 curl -fsS "http://127.0.0.1:$port/health"
done
# On PostgreSQL each service holds connections to its own database as its own role, and no SQLite file
# appeared anywhere (a service that fell back to its default SQLite path would write one).
connected() { psql_as postgres postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1' AND usename = '$2'"; }
[ "$(connected puffin_orders puffin_api)" -ge 1 ] || fail "the Api holds no connection to puffin_orders"
[ "$(connected puffin_fulfillment puffin_fulfillment)" -ge 2 ] || fail "the two Fulfillment replicas do not both hold connections to puffin_fulfillment"
sqlite_files=$(find "$tmp" -name '*.db' -o -name '*.db-wal' | head -n 3)
[ -z "$sqlite_files" ] || fail "a SQLite file was created: $sqlite_files"
pass "the published Api (two instances) and two Fulfillment replicas run in Production on PostgreSQL from the environment file and credential files"

# Each service holds only its own secrets: no secret at all in a process's environment (they come as files),
# and no other service's secret among its credential files (deploy/systemd: one credentials set per unit).
secret_values() { # service → each of its secrets (the database password for a connection string), one a line
  local file
  for file in "$tmp/secrets/$1"/*; do
    case "$(basename "$file")" in
      messaging-connection-string) ;;  # the smoke broker's guest user: no secret here
      *-connection-string) sed -E 's/.*Password=([^;]*).*/\1/' "$file" ;;
      *) cat "$file" ;;
    esac
  done
}
holds_only_its_own() { # unit pid-file service other-service
  local pid environment secret
  pid=$(cat "$tmp/$2.pid")
  environment=$(tr '\0' '\n' <"/proc/$pid/environ") || fail "$1: cannot read /proc/$pid/environ"
  while read -r secret; do
    [ -n "$secret" ] || continue
    ! grep -qF -- "$secret" <<<"$environment" || fail "$1 (pid $pid) has a secret of its own or of $4 in its environment"
  done < <(secret_values "$3"; secret_values "$4")
  while read -r secret; do
    [ -n "$secret" ] || continue
    ! grep -rqF -- "$secret" "$tmp/credentials/$1" || fail "$1's credentials hold a secret of $4"
  done < <(secret_values "$4")
  pass "$1 (pid $pid): no secret in its environment, none of $4's secrets among its credentials"
}
holds_only_its_own puffin-offset-api@1 puffin-offset-api@1 api fulfillment
holds_only_its_own puffin-offset-fulfillment puffin-offset-fulfillment-1 fulfillment api

# --- nginx: deploy/nginx's site, on high ports, its own prefix, a self-signed certificate -------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$tmp/tls/privkey.pem" -out "$tmp/tls/fullchain.pem" >/dev/null 2>&1
mkdir -p "$tmp/nginx/conf" "$tmp/nginx/temp" "$tmp/nginx/logs"
chmod 777 "$tmp/nginx/temp"
cp -r deploy/nginx/puffin-offset "$tmp/nginx/conf/"
sed -i -e "s|server 127.0.0.1:8080 |server 127.0.0.1:$api_port |" -e "s|server 127.0.0.1:8082 |server 127.0.0.1:$api2_port |" \
  "$tmp/nginx/conf/puffin-offset/api-instances.conf"
sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$api_port;|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
    -e '/listen \[::\]/d' \
    -e "s|/etc/letsencrypt/live/api.puffinoffset.example/|$tmp/tls/|" \
    -e "s|root /var/www/letsencrypt;|root $tmp/www;|" \
    deploy/nginx/puffin-offset.conf >"$tmp/nginx/conf/puffin-offset.conf"
cat >"$tmp/nginx/conf/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/log/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log $tmp/log/nginx-access.log;
    client_body_temp_path $tmp/nginx/temp/body;
    proxy_temp_path $tmp/nginx/temp/proxy;
    fastcgi_temp_path $tmp/nginx/temp/fastcgi;
    uwsgi_temp_path $tmp/nginx/temp/uwsgi;
    scgi_temp_path $tmp/nginx/temp/scgi;
    include puffin-offset.conf;
}
CONF
nginx -t -p "$tmp/nginx/" -c "$tmp/nginx/conf/nginx.conf" >"$tmp/log/nginx-test.log" 2>&1 || fail "nginx -t rejects the site"
nginx -p "$tmp/nginx/" -c "$tmp/nginx/conf/nginx.conf" -g 'daemon off;' >>"$tmp/log/nginx-error.log" 2>&1 &
pids+=($!)
public="https://127.0.0.1:$https_port"
curl_public() { curl -sS --cacert "$tmp/tls/fullchain.pem" --max-time 20 "$@"; }
wait_for "nginx answers on HTTPS" 30 curl_public -o /dev/null "$public/api/config"
pass "nginx -t accepts deploy/nginx/puffin-offset.conf and serves it over TLS"

# --- Over HTTPS, through nginx only ----------------------------------------------------------------------
redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$http_port/api/config")
[[ "$redirect" == "301 https://127.0.0.1/api/config" ]] || fail "HTTP is not redirected to HTTPS (got: $redirect)"
pass "HTTP answers 301 to HTTPS"

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

create_session() { # source-address → prints the response body; fails unless 200
  local response
  response=$(curl_public --interface "$1" -w '\n%{http_code}' -H 'content-type: application/json' \
    -d '{"tons":1,"portfolioId":21,"customerEmail":"smoke@example.com"}' "$public/api/checkout/create-session")
  [ "${response##*$'\n'}" = 200 ] || fail "create-session from $1 answered ${response##*$'\n'}: ${response%$'\n'*}"
  echo "${response%$'\n'*}"
}

# Signed exactly as Stripe signs: HMAC-SHA256 of "t.payload" with the whole whsec_ secret, hex, t=…,v1=….
post_paid_webhook() { # order-id session-id
  local body="$tmp/event-$1.json" t signature
  python3 - "$repo/tests/TestSupport/Fixtures/stripe-events/checkout.session.completed.paid.json" "$1" "$2" >"$body" <<'PY'
import json, sys, uuid
path, order_id, session_id = sys.argv[1:]
body = open(path, encoding="utf-8").read()
event = json.loads(body)
body = body.replace(event["data"]["object"]["id"], session_id)
body = body.replace('"%s"' % event["data"]["object"]["metadata"]["orderId"], '"%s"' % order_id)
body = body.replace('"%s"' % event["id"], '"evt_smoke_%s"' % uuid.uuid4().hex)
sys.stdout.write(body)
PY
  t=$(date +%s)
  signature=$({ printf '%s.' "$t"; cat "$body"; } | openssl dgst -sha256 -hmac "$webhook_secret" -hex | sed 's/^.*= //')
  curl_public -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -H "Stripe-Signature: t=$t,v1=$signature" --data-binary "@$body" "$public/api/webhooks/stripe"
}

order_is() { [ "$(curl_public "$public/api/orders/$1" | json_field status)" = "$2" ]; }
wren_orders() { curl -fsS "http://127.0.0.1:$wren_port/sandbox/orders" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

buy_offset() { # label expected-wren-orders
  local session order_id session_id status
  session=$(create_session 127.0.0.4)
  order_id=$(json_field orderId <<<"$session")
  session_id=$(json_field sessionId <<<"$session")
  status=$(post_paid_webhook "$order_id" "$session_id")
  [ "$status" = 200 ] || fail "$1: the signed webhook was answered $status"
  wait_for "$1: order $order_id fulfilled" 90 order_is "$order_id" fulfilled
  [ "$(wren_orders)" = "$2" ] || fail "$1: Wren has $(wren_orders) orders, expected $2"
  # The Api's answer came from PostgreSQL: the row is there, as is Fulfillment's record of the purchase.
  row=$(psql_as puffin_api puffin_orders "SELECT \"Status\" || ' ' || coalesce(\"WrenOrderId\", '-') FROM orders WHERE \"Id\" = '$order_id'")
  [[ "$row" =~ ^Fulfilled\ [^-] ]] || fail "$1: order $order_id in PostgreSQL puffin_orders is '$row', not Fulfilled with a Wren order id"
  placed=$(psql_as puffin_fulfillment puffin_fulfillment "SELECT \"State\" || ' ' || coalesce(\"WrenOrderId\", '-') FROM offset_fulfillments WHERE \"OrderId\" = '$order_id'")
  [ "$placed" = "Placed ${row#* }" ] || fail "$1: fulfilment of $order_id in PostgreSQL puffin_fulfillment is '$placed', not 'Placed ${row#* }'"
  pass "$1: session created, signed webhook accepted, order fulfilled with Wren order number $2 (rows in both PostgreSQL databases)"
}

buy_offset "first order" 1

# Rate limit: 3 per client address per minute. Every request reaches the Api from nginx (127.0.0.1);
# only X-Forwarded-For, believed because 127.0.0.1 is the trusted proxy, tells the clients apart.
for _ in 1 2 3; do create_session 127.0.0.2 >/dev/null; done
limited=$(curl_public --interface 127.0.0.2 -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"tons":1,"portfolioId":21}' "$public/api/checkout/create-session")
[ "$limited" = 429 ] || fail "the 4th session from 127.0.0.2 within a minute answered $limited, not 429"
create_session 127.0.0.3 >/dev/null
pass "the rate limit counts 127.0.0.2 (4th attempt: 429) and 127.0.0.3 (allowed) separately"

spoofed=$(curl_public --interface 127.0.0.2 -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.1' \
  -H 'content-type: application/json' -d '{"tons":1,"portfolioId":21}' "$public/api/checkout/create-session")
[ "$spoofed" = 429 ] || fail "a client-written X-Forwarded-For escaped the rate limit (answered $spoofed)"
pass "a client's own X-Forwarded-For does not escape its rate limit"

for path in /metrics /health /alive; do
  code=$(curl_public -o /dev/null -w '%{http_code}' "$public$path")
  [ "$code" = 404 ] || fail "$path through the public site answered $code, not 404"
done
# ASP.NET Core's routing ignores case, so nginx must too: every spelling of the admin paths is refused.
for path in /admin /ADMIN /Admin/console.js /api/admin/orders /api/Admin/orders /API/ADMIN/overview /api/%61dmin/orders; do
  code=$(curl_public --path-as-is -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$tmp/secrets/api/admin-api-key")" "$public$path")
  [ "$code" = 403 ] || fail "$path through the public site answered $code, not 403"
done
pass "/metrics, /health and /alive are 404 and /admin, /api/admin in any letter case 403 through nginx"

# The management listener: what it serves is not on the Api's public port (the one nginx proxies to), and
# is on the management port, admin key required.
admin_key=$(cat "$tmp/secrets/api/admin-api-key")
for path in /api/admin/orders /api/Admin/orders /admin /metrics /health /alive; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin_key" "http://127.0.0.1:$api_port$path")
  [ "$code" = 404 ] || fail "$path on the Api's proxied port answered $code, not 404"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin_key" "http://127.0.0.1:$api_management_port$path")
  [ "$code" = 200 ] || fail "$path on the Api's management port answered $code, not 200"
done
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_management_port/api/admin/orders")
[ "$code" = 401 ] || fail "the admin API on the management port answered $code without a key, not 401"
pass "the admin API, console, /metrics and the health endpoints answer only on the management port (404 on the proxied one)"

# The internal refund status (Fulfillment asks it before a delayed purchase): Fulfillment's service key opens it, an
# admin key does not, and it is not on the proxied port.
service_key=$(cat "$tmp/secrets/fulfillment/api-service-key")
refund_status() { # key port → HTTP status
  curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" -H 'content-type: application/json' \
    --data "{\"orderIds\":[\"$(cat /proc/sys/kernel/random/uuid)\"]}" "http://127.0.0.1:$2/api/internal/refund-status"
}
code=$(refund_status "$admin_key" "$api_management_port")
[ "$code" = 401 ] || fail "the internal refund status answered $code to the admin key, not 401"
code=$(refund_status "$service_key" "$api_management_port")
[ "$code" = 200 ] || fail "the internal refund status answered $code to Fulfillment's service key, not 200"
code=$(refund_status "$service_key" "$api_port")
[ "$code" = 404 ] || fail "the internal refund status answered $code on the Api's proxied port, not 404"
pass "the internal refund status answers Fulfillment's service key on the management port only, and refuses the admin key"

head -c 600000 /dev/zero | tr '\0' 'a' >"$tmp/too-large.json"
code=$(curl_public -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary "@$tmp/too-large.json" "$public/api/webhooks/stripe")
[ "$code" = 413 ] || fail "a 600 kB webhook body answered $code, not 413"
pass "a webhook body over 512 KiB is refused by nginx (413)"

# A Fulfillment replica dies hard; the supervisor restarts it (as Restart=on-failure would) and work carries on.
victim=$(cat "$tmp/puffin-offset-fulfillment-1.pid")
[ "$(cat "/proc/$victim/comm" 2>/dev/null)" = dotnet ] || fail "the recorded Fulfillment pid $victim is not the dotnet process"
kill -KILL "$victim"
wait_for "the killed Fulfillment is gone" 10 bash -c "! kill -0 $victim"
wait_for "Fulfillment restarted" 30 bash -c "[ \"\$(cat '$tmp/puffin-offset-fulfillment-1.pid')\" != $victim ]"
wait_for "the restarted Fulfillment is healthy" 120 curl -fsS "http://127.0.0.1:${fulfillment_management_ports[0]}/health"
pass "a Fulfillment replica killed with SIGKILL and restarted"
buy_offset "second order, after the restart" 2

# --- An incident worked from the outside (docs/operations.md, "Worked incident: the database stops"):
# PostgreSQL stops under the running deployment. The Api's /health answers 503, /metrics says which check
# failed (what PuffinDatabaseUnreachable watches), a checkout through nginx answers a 500 problem with a trace
# id and nothing of the database's error, and the Api's JSON log has that request's Error line under the same
# trace id. PostgreSQL back, the services are ready again by themselves and an offset is bought.
scripts/postgres-local.sh stop "$tmp/postgres" >>"$tmp/log/postgres-start.log" 2>&1 || fail "stopping PostgreSQL"
api_management="http://127.0.0.1:$api_management_port"
wait_for "the Api's /health answers 503 with PostgreSQL stopped" 60 \
  bash -c "[ \"\$(curl -sS -o /dev/null -w '%{http_code}' '$api_management/health')\" = 503 ]"
wait_for "the Api's /metrics reports the database check failing" 60 \
  bash -c "curl -fsS '$api_management/metrics' | grep -Eq '^puffin_readiness_healthy\{[^}]*check=\"database\"[^}]*\} 0'"
outage=$(curl_public --interface 127.0.0.5 -w '\n%{http_code}' -H 'content-type: application/json' \
  -d '{"tons":1,"portfolioId":21,"customerEmail":"smoke@example.com"}' "$public/api/checkout/create-session")
[ "${outage##*$'\n'}" = 500 ] || fail "a checkout with the database stopped answered ${outage##*$'\n'}, not 500"
outage_trace=$(json_field traceId <<<"${outage%$'\n'*}")
[ -n "$outage_trace" ] || fail "the checkout's 500 problem carries no traceId: ${outage%$'\n'*}"
grep -qiE 'npgsql|postgres|connection refused|Host=' <<<"${outage%$'\n'*}" \
  && fail "the checkout's 500 problem leaks the database error: ${outage%$'\n'*}"
# The trace id of the problem is the W3C trace id (32 hex digits) of every log line of that request.
cat >"$tmp/error-line-of-trace.py" <<'PY'
import json, re, sys
path, trace = sys.argv[1], sys.argv[2]
trace_id = trace
for line in open(path, encoding="utf-8", errors="replace"):
    line = re.sub(r"^<[0-7]>", "", line.strip())
    if not line.startswith("{"):
        continue
    entry = json.loads(line)
    scopes = json.dumps(entry.get("Scopes", []))
    if entry.get("LogLevel") in ("Error", "Critical") and trace_id in scopes:
        sys.exit(0)
sys.exit(1)
PY
# (nginx sent the checkout to one of the two Api instances.)
wait_for "the Api's JSON log has an Error line of the failed checkout's trace" 30 bash -c \
  "python3 '$tmp/error-line-of-trace.py' '$tmp/log/puffin-offset-api@1.log' '$outage_trace' || python3 '$tmp/error-line-of-trace.py' '$tmp/log/puffin-offset-api@2.log' '$outage_trace'"
pass "PostgreSQL stopped: /health 503, puffin_readiness_healthy{check=\"database\"} 0, a checkout's 500 problem with trace id $outage_trace and no database detail, the same trace id on the Api's JSON Error line"
scripts/postgres-local.sh start "$tmp/postgres" "$pg_port" >>"$tmp/log/postgres-start.log" 2>&1 || fail "PostgreSQL did not start again"
wait_for "the Api is ready again after PostgreSQL came back" 120 curl -fsS "$api_management/health"
wait_for "the second Api instance is ready again after PostgreSQL came back" 120 curl -fsS "http://127.0.0.1:$api2_management_port/health"
for port in "${fulfillment_management_ports[@]}"; do
  wait_for "Fulfillment ($port) is ready again after PostgreSQL came back" 120 curl -fsS "http://127.0.0.1:$port/health"
done
pass "PostgreSQL back: every service ready again without a restart"
buy_offset "third order, after the database outage" 3

# --- Deploys without a dropped request (docs/production.md, "Upgrades"): deploy/release.sh rolls a second release
# (this build again, with a marker file) onto both Api instances and both Fulfillment replicas while checkouts and
# Stripe-signed webhooks flow through nginx, then deploy/rollback.sh goes back the same way. What systemd does for
# the scripts (start the migrate units, restart a unit) smoke_systemctl does to this test's processes.
smoke_systemctl() { # start|restart unit...
  local action=$1 unit old deadline command
  shift
  for unit in "$@"; do
    unit=${unit%.service}
    case "$action" in
      start)   # a oneshot unit (the migrate units): its commands with its environment, to the end
        while read -r -a command; do
          (run_unit_command "$unit" "" "${command[@]}") </dev/null >>"$tmp/log/$unit.log" 2>&1 || return 1
        done < <(unit_commands "$unit") ;;
      restart) # SIGTERM to the service; its supervisor starts it again (from what `current` points to now)
        old=$(cat "$tmp/$unit.pid")
        touch "$tmp/$unit.restart"
        kill -TERM "$old"
        deadline=$(( $(date +%s) + 60 ))
        until [ "$(cat "$tmp/$unit.pid")" != "$old" ]; do
          [ "$(date +%s)" -lt "$deadline" ] || return 1
          sleep 0.2
        done ;;
      *) echo "smoke_systemctl: $action?" >&2; return 1 ;;
    esac
  done
}
export -f smoke_systemctl run_unit_command unit_environment unit_commands unit_file
export tmp
export PUFFIN_ROOT="$tmp/app" PUFFIN_ETC="$tmp/etc" PUFFIN_SYSTEMCTL=smoke_systemctl \
  PUFFIN_NGINX_INSTANCES="$tmp/nginx/conf/puffin-offset/api-instances.conf" PUFFIN_NGINX_PID="$tmp/nginx/nginx.pid" \
  PUFFIN_NGINX_RELOAD="nginx -p $tmp/nginx/ -c $tmp/nginx/conf/nginx.conf -s reload" \
  PUFFIN_FULFILLMENT="puffin-offset-fulfillment-1=http://127.0.0.1:${fulfillment_management_ports[0]}/health puffin-offset-fulfillment-2=http://127.0.0.1:${fulfillment_management_ports[1]}/health"

runs_release() { # release → every Api instance and Fulfillment replica runs that release's files
  local name pid
  for name in puffin-offset-api@1 puffin-offset-api@2 puffin-offset-fulfillment-1 puffin-offset-fulfillment-2; do
    pid=$(cat "$tmp/$name.pid")
    grep -qE "/releases/$1/(api/Api|fulfillment/Fulfillment)\.dll" "/proc/$pid/maps" || { echo "$name (pid $pid) does not run $1" >&2; return 1; }
  done
}
paid_orders_fulfilled_once() { # load report → every paid order fulfilled in puffin_orders, one Wren order each
  python3 - "$1" "http://127.0.0.1:$wren_port/sandbox/orders" <<'PY'
import json, sys, urllib.request
orders = json.load(open(sys.argv[1]))["orders"]
notes = [o.get("note") or "" for o in json.load(urllib.request.urlopen(sys.argv[2]))]
counts = {order: sum(1 for note in notes if note.endswith(order)) for order in orders}
bad = {order: count for order, count in counts.items() if count != 1}
sys.exit("Wren orders per paid order not 1: %s" % list(bad.items())[:5] if bad else 0)
PY
}
load_runs=0
test_fulfilled() { [ "$(fulfilled_among "$1")" = "$2" ]; }
fulfilled_among() { # comma-separated quoted order ids → how many are Fulfilled in puffin_orders
  psql_as puffin_api puffin_orders "SELECT count(*) FROM orders WHERE \"Status\" = 'Fulfilled' AND \"Id\"::text IN ($1)"
}
under_traffic() { # label script [args] → runs the script while smoke-load.py sends traffic; checks the traffic
  local label=$1 report load_pid
  load_runs=$((load_runs + 1))
  report="$tmp/load-$load_runs.json"
  shift
  rm -f "$tmp/load.stop"
  python3 deploy/smoke-load.py "$public" "$tmp/tls/fullchain.pem" "$webhook_secret" \
    "$repo/tests/TestSupport/Fixtures/stripe-events/checkout.session.completed.paid.json" "$tmp/load.stop" "$report" \
    >>"$tmp/log/load.log" 2>&1 &
  load_pid=$!
  pids+=("$load_pid")
  "$@" >>"$tmp/log/release.log" 2>&1 || { touch "$tmp/load.stop"; cat "$tmp/log/release.log"; fail "$label: $* exited non-zero"; }
  touch "$tmp/load.stop"
  wait "$load_pid" || fail "$label: the load generator failed (log/load.log)"
  read -r requests checkouts webhooks repeats failures orders < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["requests"], r["checkouts"], r["webhooks"], r["repeats"], len(r["failures"]), len(r["orders"]))' "$report")
  [ "$failures" = 0 ] || fail "$label: $failures of $requests requests failed: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failures"][:3])' "$report")"
  [ "$orders" -ge 20 ] || fail "$label: only $orders paid orders went through during it"
  local order_ids
  order_ids=$(python3 -c 'import json,sys; print(",".join("'"'"'%s'"'"'" % o for o in json.load(open(sys.argv[1]))["orders"]))' "$report")
  wait_for "$label: all $orders paid orders fulfilled" 240 test_fulfilled "$order_ids" "$orders"
  paid_orders_fulfilled_once "$report" || fail "$label: a paid order was not bought exactly once"
  pass "$label under traffic: $requests requests through nginx ($checkouts checkouts, $webhooks signed webhooks, $repeats repeated), none failed; all $orders paid orders fulfilled, one Wren order each"
}

cp -a "$tmp/build" "$tmp/build-2"
echo "smoke-2" >"$tmp/build-2/RELEASE"
under_traffic "rolling upgrade to smoke-2 (deploy/release.sh)" deploy/release.sh smoke-2 "$tmp/build-2"
[ "$(readlink "$tmp/app/current")" = releases/smoke-2 ] && [ "$(readlink "$tmp/app/previous")" = releases/smoke-1 ] \
  || fail "after the release current is $(readlink "$tmp/app/current") and previous $(readlink "$tmp/app/previous")"
runs_release smoke-2 || fail "after the release not every process runs smoke-2"
pass "release smoke-2: current → releases/smoke-2, previous → smoke-1, both Api instances and both Fulfillment replicas run it"
under_traffic "rollback to smoke-1 (deploy/rollback.sh)" deploy/rollback.sh
[ "$(readlink "$tmp/app/current")" = releases/smoke-1 ] || fail "after the rollback current is $(readlink "$tmp/app/current")"
runs_release smoke-1 || fail "after the rollback not every process runs smoke-1"
pass "rollback: current → releases/smoke-1, every process runs it again"

# --- Backups that restore (docs/operations.md, "Backups and restore"): each service's backup unit run while the
# services serve, both databases lost (dropped), restored with pg_restore as each service's own role, the migrate
# units, the services started again. Every order fulfilled before the backup is still fulfilled (in the Api's
# database, through nginx, in Fulfillment's records), Wren is not asked again for any of them, and a new order is
# bought once. An order checked out before the backup and bought after it is lost by the restore on both sides; the
# `restored` unit records the restore, Stripe's webhook comes again, and Fulfillment finds the Wren order by its note
# instead of buying it twice.
count_of() { psql_as "$1" "$2" "$3"; }
fulfilled_before=$(count_of puffin_api puffin_orders "SELECT count(*) FROM orders WHERE \"Status\" = 'Fulfilled'")
placed_before=$(count_of puffin_fulfillment puffin_fulfillment "SELECT count(*) FROM offset_fulfillments WHERE \"State\" = 'Placed'")
wren_before=$(wren_orders)
an_earlier_order=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["orders"][0])' "$tmp/load-1.json")
session=$(create_session 127.0.0.4)
after_backup_order=$(json_field orderId <<<"$session")
after_backup_session=$(json_field sessionId <<<"$session")
for service in api fulfillment; do
  while read -r -a command; do
    (run_unit_command "puffin-offset-$service-backup" "" "${command[@]}") </dev/null >>"$tmp/log/backup.log" 2>&1 \
      || fail "the backup unit puffin-offset-$service-backup (${command[*]}) exited non-zero"
  done < <(unit_commands "puffin-offset-$service-backup" | sed "s|/var/backups/puffin-offset|$tmp/backups|g")
done
api_backup=$(ls "$tmp"/backups/api/api-*.dump 2>/dev/null | head -n 1)
fulfillment_backup=$(ls "$tmp"/backups/fulfillment/fulfillment-*.dump 2>/dev/null | head -n 1)
[ -s "$api_backup" ] && [ -s "$fulfillment_backup" ] || fail "the backup units wrote no dump (log/backup.log)"
pass "the backup units wrote $(basename "$api_backup") and $(basename "$fulfillment_backup") (pg_dump, each as its own role) while the services ran"
[ "$(post_paid_webhook "$after_backup_order" "$after_backup_session")" = 200 ] || fail "the webhook of order $after_backup_order (paid after the backup)"
wait_for "order $after_backup_order, paid after the backup, fulfilled" 90 order_is "$after_backup_order" fulfilled
wren_after_backup=$(psql_as puffin_fulfillment puffin_fulfillment "SELECT \"WrenOrderId\" FROM offset_fulfillments WHERE \"OrderId\" = '$after_backup_order'")
[ -n "$wren_after_backup" ] && [ "$(wren_orders)" = "$((wren_before + 1))" ] || fail "order $after_backup_order was not bought once after the backup"

for name in puffin-offset-api@1 puffin-offset-api@2 puffin-offset-fulfillment-1 puffin-offset-fulfillment-2; do
  supervisor=$(cat "$tmp/$name.supervisor")
  kill -TERM "$supervisor"
  wait_for "$name stopped" 60 bash -c "! kill -0 $supervisor"
done
for sql in "DROP DATABASE puffin_orders" "DROP DATABASE puffin_fulfillment" \
           "CREATE DATABASE puffin_orders OWNER puffin_api" "CREATE DATABASE puffin_fulfillment OWNER puffin_fulfillment"; do
  psql_as postgres postgres "$sql" >>"$tmp/log/postgres-start.log" 2>&1 || fail "PostgreSQL: $sql"
done
pg_restore -h 127.0.0.1 -p "$pg_port" -U puffin_api --no-owner --exit-on-error -d puffin_orders "$api_backup" \
  >>"$tmp/log/backup.log" 2>&1 || fail "pg_restore of $api_backup"
pg_restore -h 127.0.0.1 -p "$pg_port" -U puffin_fulfillment --no-owner --exit-on-error -d puffin_fulfillment "$fulfillment_backup" \
  >>"$tmp/log/backup.log" 2>&1 || fail "pg_restore of $fulfillment_backup"
smoke_systemctl start puffin-offset-api-migrate puffin-offset-fulfillment-migrate || fail "the migrate units after the restore"
smoke_systemctl start puffin-offset-fulfillment-restored || fail "the restored unit after the restore"
supervise puffin-offset-api@1 "$api_port/$api_management_port"
supervise puffin-offset-api@2 "$api2_port/$api2_management_port"
supervise puffin-offset-fulfillment "${fulfillment_ports[0]}/${fulfillment_management_ports[0]}" 1
supervise puffin-offset-fulfillment "${fulfillment_ports[1]}/${fulfillment_management_ports[1]}" 2
for port in "$api_management_port" "$api2_management_port" "${fulfillment_management_ports[@]}"; do
  wait_for "the service on management port $port is ready after the restore" 120 curl -fsS "http://127.0.0.1:$port/health"
done
[ "$(count_of puffin_api puffin_orders "SELECT count(*) FROM orders WHERE \"Status\" = 'Fulfilled'")" = "$fulfilled_before" ] \
  || fail "after the restore puffin_orders does not hold the $fulfilled_before fulfilled orders"
[ "$(count_of puffin_fulfillment puffin_fulfillment "SELECT count(*) FROM offset_fulfillments WHERE \"State\" = 'Placed'")" = "$placed_before" ] \
  || fail "after the restore puffin_fulfillment does not hold the $placed_before placed fulfilments"
order_is "$an_earlier_order" fulfilled || fail "order $an_earlier_order is not fulfilled through nginx after the restore"
pass "both databases dropped and restored from the dumps: $fulfilled_before fulfilled orders and $placed_before placed fulfilments back, order $an_earlier_order fulfilled through nginx"
# Stripe's retry of the webhook the restored Api lost: the payment comes again, and Wren already has the order.
[ "$(post_paid_webhook "$after_backup_order" "$after_backup_session")" = 200 ] || fail "the webhook of order $after_backup_order again after the restore"
wait_for "order $after_backup_order fulfilled again after the restore" 90 order_is "$after_backup_order" fulfilled
[ "$(psql_as puffin_fulfillment puffin_fulfillment "SELECT \"WrenOrderId\" FROM offset_fulfillments WHERE \"OrderId\" = '$after_backup_order'")" = "$wren_after_backup" ] \
  && [ "$(wren_orders)" = "$((wren_before + 1))" ] || fail "order $after_backup_order, bought after the backup, was bought again after the restore"
pass "order $after_backup_order, bought after the backup and lost by the restore, paid again: found at Wren by its note ($wren_after_backup), not bought twice"
buy_offset "order after the restore (Wren asked for it alone)" "$((wren_before + 2))"

log "done in $(( $(date +%s) - started ))s"
