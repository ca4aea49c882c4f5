#!/usr/bin/env bash
# Checks the Prometheus configuration and alert rules, and runs the rules' unit tests. CI runs it from
# .ci/run; run it yourself after changing alerts.yml. Needs promtool (Debian package prometheus;
# scripts/install-dependencies.sh installs it). Ends with "Alert rule tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: run scripts/install-dependencies.sh (Debian package prometheus)" >&2
  echo "Alert rule tests: 0 passed, 1 failed"
  exit 1
fi

status=0
promtool check config prometheus.yml || status=1   # also checks alerts.yml, which it loads
promtool check rules alerts.yml || status=1

# One unit test per "- name:" entry in alerts.test.yml; promtool passes or fails the file as a whole
# and names each failing test (once per failing evaluation), so count the distinct names it reports.
tests=$(grep -cE '^  - name:' alerts.test.yml)
output=$(promtool test rules alerts.test.yml 2>&1)
test_status=$?
echo "$output"
failed=0
if [ "$test_status" -ne 0 ]; then
  failed=$(grep -E '^ +name: ' <<<"$output" | sort -u | wc -l)
  [ "$failed" -gt 0 ] || failed=$tests   # the file did not load: nothing passed
  status=1
fi

echo "Alert rule tests: $((tests - failed)) passed, $failed failed"
exit "$status"
