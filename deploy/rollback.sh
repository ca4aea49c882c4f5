#!/usr/bin/env bash
# Back to the release before the current one, the way deploy/release.sh rolls out (docs/production.md, "Rollback"):
#   deploy/rollback.sh
# Switches `current` to what `previous` points to (and `previous` to the release left), then restarts each Api
# instance in turn out of nginx's upstream, health-gated, then Fulfillment. No migration runs: the schema stays as
# the newer release left it, which the previous release reads (expand/contract, docs/production.md).
source "$(dirname "$0")/release-common.sh"

[ $# -eq 0 ] || die "usage: $0 (no arguments: it goes back to the release the previous link names)"
from=$(release_of "$root/current")
to=$(release_of "$root/previous")
[ -n "$to" ] && [ -d "$root/releases/$to" ] || die "no previous release to go back to ($root/previous)"
point current "$to"
point previous "$from"
say "current → releases/$to (was $from)"
roll_all || die "rolling back to $to: an instance did not become ready"
say "rolled back to $to"
