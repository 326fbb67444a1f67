#!/usr/bin/env bash
# The whole suite: lint, then every test on SQLite (with the real-browser tests),
# then every test again on a real PostgreSQL server started here.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
scripts/system-deps.sh

echo "== lint"
$BIN/ruff check .
$BIN/ruff format --check .
$BIN/lint-imports

echo "== tests on SQLite (including the browser tests in Debian's chromium)"
env -u DATABASE_URL $BIN/pytest -n 2 -p no:cacheprovider "$@"

echo "== tests on PostgreSQL"
url=$(scripts/postgres.sh start)
trap 'scripts/postgres.sh stop' EXIT
DATABASE_URL=$url $BIN/pytest -n 2 -p no:cacheprovider -m "not browser" "$@"
