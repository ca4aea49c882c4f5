# Shared by deploy/release.sh and deploy/rollback.sh (sourced, not run). Everything they touch is named here,
# with production's paths as defaults; deploy/smoke-test.sh points them at its own processes.
#   PUFFIN_ROOT              /opt/puffin-offset: releases/<version>/{api,fulfillment}, and the current and previous links
#   PUFFIN_ETC               /etc/puffin-offset: api-N.env holds each Api instance's MANAGEMENT_URLS
#   PUFFIN_NGINX_INSTANCES   /etc/nginx/puffin-offset/api-instances.conf: the upstream's instance lines
#   PUFFIN_NGINX_PID         /run/nginx.pid: whose old workers must finish before an instance stops
#   PUFFIN_NGINX_RELOAD      "systemctl reload nginx"
#   PUFFIN_SYSTEMCTL         systemctl
#   PUFFIN_FULFILLMENT       "puffin-offset-fulfillment=http://127.0.0.1:9465/health": unit=readiness URL, space-separated
#   PUFFIN_READY_TIMEOUT     120 (seconds an instance gets to answer /health 200)
set -euo pipefail

root=${PUFFIN_ROOT:-/opt/puffin-offset}
etc=${PUFFIN_ETC:-/etc/puffin-offset}
instances_file=${PUFFIN_NGINX_INSTANCES:-/etc/nginx/puffin-offset/api-instances.conf}
nginx_pid_file=${PUFFIN_NGINX_PID:-/run/nginx.pid}
nginx_reload=${PUFFIN_NGINX_RELOAD:-systemctl reload nginx}
systemctl_command=${PUFFIN_SYSTEMCTL:-systemctl}
fulfillment_units=${PUFFIN_FULFILLMENT:-puffin-offset-fulfillment=http://127.0.0.1:9465/health}
ready_timeout=${PUFFIN_READY_TIMEOUT:-120}

say() { printf '%s: %s\n' "$(basename "$0")" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }
unit() { $systemctl_command "$@"; }

# The Api instances are the unit names on the upstream's lines ("# puffin-offset-api@1").
api_instances() { sed -nE 's/.*# *(puffin-offset-api@[A-Za-z0-9_-]+) *$/\1/p' "$instances_file"; }

release_of() { { readlink "$1" 2>/dev/null || true; } | sed "s|^releases/||"; }

# Points a link (current, previous) at releases/<version>, atomically (rename over the old link).
point() { # link version
  ln -sfn "releases/$2" "$root/.$1.new"
  mv -T "$root/.$1.new" "$root/$1"
}

health_url() { # instance → its /health on the management listener
  local file="$etc/api-${1#puffin-offset-api@}.env" url
  url=$(sed -nE 's/^MANAGEMENT_URLS=([^;[:space:]]+).*/\1/p' "$file" | tail -n 1)
  [ -n "$url" ] || die "no MANAGEMENT_URLS in $file"
  echo "${url%/}/health"
}

wait_ready() { # name url
  local deadline=$(( $(date +%s) + ready_timeout ))
  until curl -fs -o /dev/null --max-time 5 "$2"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# Marks an instance's upstream line down (or up again), reloads nginx, and waits until the workers that ran the
# old configuration have exited: from then on no request can reach a drained instance.
set_upstream() { # instance down|up
  local old_workers=() master pid deadline
  if [ "$2" = down ]; then
    sed -i -E "/# *$1 *\$/ s/ down;/;/; /# *$1 *\$/ s/;/ down;/" "$instances_file"
  else
    sed -i -E "/# *$1 *\$/ s/ down;/;/" "$instances_file"
  fi
  master=$(cat "$nginx_pid_file" 2>/dev/null || true)
  [ -n "$master" ] && mapfile -t old_workers < <(pgrep -P "$master" || true)
  $nginx_reload || die "reloading nginx failed (the upstream file is $instances_file)"
  deadline=$(( $(date +%s) + 60 ))
  for pid in "${old_workers[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
  done
}

# Restarts one Api instance out of traffic: drain, restart (it runs what `current` points to), health-gate, back in.
roll_instance() { # instance
  local url
  url=$(health_url "$1")
  say "$1: out of the upstream, restarting"
  set_upstream "$1" down
  unit restart "$1.service" || return 1
  wait_ready "$1" "$url" || { say "$1 did not answer $url with 200 within ${ready_timeout}s"; return 1; }
  set_upstream "$1" up
  say "$1: ready ($url), back in the upstream"
}

roll_fulfillment() {
  local entry
  for entry in $fulfillment_units; do
    say "${entry%%=*}: restarting"
    unit restart "${entry%%=*}.service" || return 1
    wait_ready "${entry%%=*}" "${entry#*=}" || { say "${entry%%=*} did not answer ${entry#*=} with 200 within ${ready_timeout}s"; return 1; }
  done
}

# Every Api instance one at a time, then Fulfillment, on the release `current` points to. Instances already out
# of the upstream go first (after a failed release, the one that did not become ready): taking a serving one out
# while another is still down would leave nginx with none.
roll_all() {
  local instance
  for instance in $(grep -E ' down; *# *puffin-offset-api@' "$instances_file" | sed -nE 's/.*# *(puffin-offset-api@[A-Za-z0-9_-]+) *$/\1/p') \
                  $(grep -vE ' down; *#' "$instances_file" | sed -nE 's/^server .*# *(puffin-offset-api@[A-Za-z0-9_-]+) *$/\1/p'); do
    roll_instance "$instance" || return 1
  done
  roll_fulfillment
}
