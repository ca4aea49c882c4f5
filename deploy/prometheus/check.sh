#!/usr/bin/env bash
# Checks the Prometheus configuration and alert rules, and runs the rules' unit tests; then checks the
# Alertmanager configuration (deploy/alertmanager) and runs its routing cases. CI runs it from .ci/run; run
# it yourself after changing alerts.yml or alertmanager.yml. Needs promtool and amtool (Debian packages
# prometheus and prometheus-alertmanager; scripts/install-dependencies.sh installs them).
# Ends with "Alert rule tests: N passed, N failed" (rule tests and routing cases together).
set -uo pipefail
cd "$(dirname "$0")"

for tool in promtool amtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool not found: run scripts/install-dependencies.sh (Debian packages prometheus, prometheus-alertmanager)" >&2
    echo "Alert rule tests: 0 passed, 1 failed"
    exit 1
  fi
done

status=0
promtool check config prometheus.yml || status=1   # also checks alerts.yml, which it loads
promtool check rules alerts.yml || status=1

# One unit test per "- name:" entry in alerts.test.yml, and in incidents/*.test.yml (series recorded from a
# real incident: the worked incidents of docs/operations.md); promtool passes or fails a file as a whole
# and names each failing test (once per failing evaluation), so count the distinct names it reports.
tests=0
failed=0
for file in alerts.test.yml incidents/*.test.yml; do
  [ -f "$file" ] || continue
  file_tests=$(grep -cE '^  - name:' "$file")
  tests=$((tests + file_tests))
  output=$(promtool test rules "$file" 2>&1)
  test_status=$?
  echo "$output"
  if [ "$test_status" -ne 0 ]; then
    file_failed=$(grep -E '^ +name: ' <<<"$output" | sort -u | wc -l)
    [ "$file_failed" -gt 0 ] || file_failed=$file_tests   # the file did not load: nothing passed
    failed=$((failed + file_failed))
    status=1
  fi
done

# Alertmanager: the configuration loads, and each routing case reaches its receiver.
amtool check-config ../alertmanager/alertmanager.yml || { status=1; failed=$((failed + 1)); tests=$((tests + 1)); }
while IFS= read -r case_line; do
  case "$case_line" in '#'* | '') continue ;; esac
  labels=${case_line%% -> *}
  receiver=${case_line##* -> }
  tests=$((tests + 1))
  # shellcheck disable=SC2086 # the labels are separate arguments
  if ! amtool config routes test --config.file=../alertmanager/alertmanager.yml --verify.receivers="$receiver" $labels >/dev/null 2>&1; then
    echo "  name: route $labels -> $receiver (reached: $(amtool config routes test --config.file=../alertmanager/alertmanager.yml $labels 2>/dev/null))"
    failed=$((failed + 1))
    status=1
  fi
done <../alertmanager/routes.test

echo "Alert rule tests: $((tests - failed)) passed, $failed failed"
exit "$status"
