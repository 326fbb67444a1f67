"""Import speed of the exchange bundle: Cedar County scaled to N encounters, from CSV files.

    .venv/bin/python benchmarks/bench_import.py [--encounters 100000]

Without DATABASE_URL it runs on a fresh SQLite file in a temporary folder; with a PostgreSQL
DATABASE_URL it creates a fresh database on that server for the run and drops it afterwards.
The baseline is a plain csv.DictReader pass over the same files in the same process, so the
ratio reads "the import takes X times as long as just reading the CSV". Results are merged into
benchmarks/results/import.json under the database vendor.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import prepare_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "import.json"
SEED_ENCOUNTERS = 12_970  # encounters of `coresponse seed --seed 42` at scale 1
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="coresponse-bench-"))
    dropper = prepare_database(scratch)
    try:
        _run(args, scratch)
    finally:
        dropper()
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, scratch: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from coresponse.interop.bundle import DirectorySource, export_bundle, import_bundle
    from coresponse.interop.synthetic import write

    call_command("migrate", verbosity=0)
    folder = scratch / "bundle"
    # The seed's own Cedar County, scaled so that it holds about N encounters.
    counts = write(folder, seed=args.seed, scale=args.encounters / SEED_ENCOUNTERS, progress=False)
    (folder / "identity_truth.csv").unlink()  # not a bundle file
    counts.pop("identity_truth.csv", None)
    rows = sum(counts.values())
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"bundle: {rows:,} rows, {size / 1e6:.1f} MB ({counts})", file=sys.stderr)

    read_seconds = _timed(lambda: _read_all(folder))
    import_seconds = _timed(lambda: import_bundle(DirectorySource(folder)))
    reimport_seconds = _timed(lambda: import_bundle(DirectorySource(folder)))
    export_seconds = _timed(lambda: export_bundle(scratch / "export"))

    vendor = connection.vendor
    result = {
        "database": vendor,
        "database_version": _database_version(connection),
        "encounters": counts["encounters.csv"],
        "rows": rows,
        "files": counts,
        "bundle_megabytes": round(size / 1e6, 1),
        "import_seconds": round(import_seconds, 2),
        "import_rows_per_second": round(rows / import_seconds),
        "reimport_seconds": round(reimport_seconds, 2),
        "export_seconds": round(export_seconds, 2),
        "baseline": "csv.DictReader over the same files, same process",
        "baseline_seconds": round(read_seconds, 2),
        "baseline_rows_per_second": round(rows / read_seconds),
        "import_vs_read_ratio": round(import_seconds / read_seconds, 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[vendor] = result
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2))


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _read_all(folder: Path) -> int:
    count = 0
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for _row in csv.DictReader(handle):
                count += 1
    return count


def _database_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("select version()")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
