#!/usr/bin/env bash
# Makes the stored-state fixture of a released version: builds that commit in a worktree of its own, runs its
# service on a fresh database (fill-released.mjs leaves releases waiting at varied points), then dumps the
# database as plain SQL. Run from the repository, with PostgreSQL and Redis up and `npm install` done:
#
#   test/compat/make-fixture.sh <released commit> [output file]
#
# Environment: POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), REDIS_URL (default
# redis://127.0.0.1:6379). Needs git, node, psql and pg_dump of the server's major version.
set -euo pipefail

commit=${1:?usage: test/compat/make-fixture.sh <released commit> [output file]}
root=$(git rev-parse --show-toplevel)
short=$(git rev-parse --short=7 "$commit")
out=${2:-$root/test/compat/fixtures/released-$short.sql}
postgres=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database=release_fixture_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d)
tree=$work/released

cleanup() {
  git -C "$root" worktree remove --force "$tree" 2>/dev/null || true
  psql -q "$postgres/postgres" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

git -C "$root" worktree add --detach "$tree" "$commit"
# The current dependencies are a superset of what the released code needs.
ln -s "$root/node_modules" "$tree/node_modules"
(cd "$tree" && npx tsc -p tsconfig.build.json)

psql -q "$postgres/postgres" -c "CREATE DATABASE \"$database\""
node "$root/test/compat/fill-released.mjs" "$tree" "$postgres/$database"

mkdir -p "$(dirname "$out")"
# INSERTs rather than COPY and no psql meta-commands (\restrict), so a plain client can run the file.
pg_dump --no-owner --no-privileges --inserts --rows-per-insert=100 "$postgres/$database" |
  grep -v '^\\' >"$out"
echo "wrote $out ($(wc -c <"$out") bytes)"
