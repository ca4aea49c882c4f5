#!/usr/bin/env bash
# Runs an isolated RabbitMQ node in the foreground (the AppHost's "rabbitmq" resource runs this when no
# broker is configured and no container engine answers). Everything the node writes stays in DATA_DIR;
# it uses Debian's rabbitmq-server directly, without the /usr/sbin wrappers that switch to the rabbitmq
# user and reset HOME. SIGTERM (what the AppHost sends on shutdown) stops the node cleanly.
#
# usage: scripts/rabbitmq-local.sh DATA_DIR NODE_NAME AMQP_PORT DIST_PORT MANAGEMENT_PORT
set -euo pipefail

if [ $# -ne 5 ]; then
  echo "usage: $0 DATA_DIR NODE_NAME AMQP_PORT DIST_PORT MANAGEMENT_PORT" >&2
  exit 2
fi
data_dir=$1 node=$2 amqp_port=$3 dist_port=$4 management_port=$5

rabbitmq_bin=/usr/lib/rabbitmq/bin
if [ ! -x "$rabbitmq_bin/rabbitmq-server" ]; then
  echo "rabbitmq-server is not installed: run scripts/install-dependencies.sh (apt-get install rabbitmq-server)." >&2
  exit 1
fi

mkdir -p "$data_dir/log"
echo '[rabbitmq_management].' > "$data_dir/enabled_plugins"
echo '[].' > "$data_dir/advanced.config"
: > "$data_dir/rabbitmq-env.conf"
cat > "$data_dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$amqp_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $management_port
loopback_users.guest = true
log.console = true
log.console.level = info
log.file.level = warning
CONF

# The Erlang cookie and every CLI call rely on HOME; the node's own folder keeps it private.
export HOME="$data_dir"
export RABBITMQ_NODENAME="$node"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$amqp_port"
export RABBITMQ_DIST_PORT="$dist_port"
export RABBITMQ_MNESIA_BASE="$data_dir/mnesia"
export RABBITMQ_LOG_BASE="$data_dir/log"
export RABBITMQ_PID_FILE="$data_dir/rabbitmq.pid"
export RABBITMQ_ENABLED_PLUGINS_FILE="$data_dir/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$data_dir/rabbitmq"
export RABBITMQ_ADVANCED_CONFIG_FILE="$data_dir/advanced.config"
export RABBITMQ_CONF_ENV_FILE="$data_dir/rabbitmq-env.conf"
export ERL_CRASH_DUMP="$data_dir/log/erl_crash.dump"
# Erlang distribution (used only by the CLI) listens on loopback, like AMQP and management.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

# Node names are global to the machine (epmd). One still registered under ours is this folder's own node,
# left behind by a killed AppHost: stop it. If it cannot be stopped, it belongs to someone else.
node_registered() {
  local epmd
  epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n 1)
  [ -n "$epmd" ] && "$epmd" -names 2>/dev/null | grep -q "^name ${node%@*} at port"
}
if node_registered; then
  echo "Stopping a leftover RabbitMQ node $node"
  "$rabbitmq_bin/rabbitmqctl" -n "$node" -q stop >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do node_registered || break; sleep 0.25; done
  if node_registered; then
    echo "Another RabbitMQ node named $node is running on this machine and could not be stopped." >&2
    exit 1
  fi
fi

echo "Starting RabbitMQ node $node on 127.0.0.1:$amqp_port (management on 127.0.0.1:$management_port), data in $data_dir"
# exec: the AppHost's TERM reaches rabbitmq-server itself, which traps it and shuts the node down cleanly.
exec "$rabbitmq_bin/rabbitmq-server"
