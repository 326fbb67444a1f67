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
# Buffers sized as a production server's are (a quarter of memory is the usual advice; 2 GB
# here): the million person records of bench_alert fit in them.
url=$(CORESPONSE_PG_SHARED_BUFFERS=2GB scripts/postgres.sh start)
trap 'scripts/postgres.sh stop' EXIT
for bench in benchmarks/bench_*.py; do
  echo "== $bench on PostgreSQL"
  DATABASE_URL=$url $BIN/python "$bench"
done
