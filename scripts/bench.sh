#!/usr/bin/env bash
# Runs every benchmark on SQLite and on PostgreSQL; results land in benchmarks/results/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
scripts/system-deps.sh
for bench in benchmarks/bench_*.py; do
  echo "== $bench on SQLite"
  env -u DATABASE_URL $BIN/python "$bench"
done
url=$(scripts/postgres.sh start)
trap 'scripts/postgres.sh stop' EXIT
for bench in benchmarks/bench_*.py; do
  echo "== $bench on PostgreSQL"
  DATABASE_URL=$url $BIN/python "$bench"
done
