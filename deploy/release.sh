#!/usr/bin/env bash
# Installs a build as a new release and rolls it out without dropping a request (docs/production.md, "Upgrades"):
#   deploy/release.sh VERSION BUILD
# BUILD is a folder or a .tar.gz holding api/ and fulfillment/ (the outputs of dotnet publish). Steps:
#   1. unpack into /opt/puffin-offset/releases/VERSION (a new folder; an existing version is refused);
#   2. switch the `current` link to it (`previous` keeps the release it replaces; running processes keep theirs);
#   3. the migrate units (expand-only migrations: the previous release still runs on the schema, docs/production.md);
#   4. each Api instance in turn: out of nginx's upstream, restarted, /health 200, back in; then Fulfillment.
# A failed migration switches `current` back (nothing was restarted). A restarted instance that does not
# become ready rolls everything back to the previous release the same way (deploy/rollback.sh) and exits 1.
source "$(dirname "$0")/release-common.sh"

[ $# -eq 2 ] || die "usage: $0 VERSION BUILD (a folder or .tar.gz with api/ and fulfillment/)"
version=$1 build=$2
[[ "$version" =~ ^[A-Za-z0-9._-]+$ ]] || die "the version '$version' is not a folder name (letters, digits, . _ -)"
target="$root/releases/$version"
[ ! -e "$target" ] || die "$target exists already: give this build a new version"

mkdir -p "$root/releases"
rm -rf "$target.partial"
mkdir "$target.partial"
if [ -d "$build" ]; then
  cp -a "$build"/. "$target.partial/"
else
  tar -xzf "$build" -C "$target.partial"
fi
[ -f "$target.partial/api/Api.dll" ] && [ -f "$target.partial/fulfillment/Fulfillment.dll" ] \
  || { rm -rf "$target.partial"; die "$build holds no api/Api.dll and fulfillment/Fulfillment.dll"; }
mv "$target.partial" "$target"
say "installed $target"

old=$(release_of "$root/current")
old_previous=$(release_of "$root/previous")
[ -z "$old" ] || point previous "$old"
point current "$version"
say "current → releases/$version${old:+ (previous: $old)}"

if ! unit start puffin-offset-api-migrate.service puffin-offset-fulfillment-migrate.service; then
  [ -z "$old" ] || point current "$old"
  die "a migrate unit failed (journalctl -u 'puffin-offset-*-migrate'); current is back on ${old:-nothing}, nothing was restarted"
fi
say "migrations applied"

if ! roll_all; then
  [ -n "$old" ] || die "the first release did not become ready; there is nothing to roll back to"
  say "rolling back to $old"
  point current "$old"
  # previous stays what it was: a rollback must never lead to the release that just failed.
  if [ -n "$old_previous" ]; then point previous "$old_previous"; else rm -f "$root/previous"; fi
  roll_all || die "the rollback to $old did not become ready either: the instances need an operator"
  die "release $version did not become ready; rolled back to $old"
fi
say "released $version"
