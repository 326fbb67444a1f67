"""Import speed of a city's CAD export: `coresponse import-calls` on N rows, with and without
triage.

    .venv/bin/python benchmarks/bench_import_calls.py [--rows 500000] [--city seattle]

The file is the seed's Cedar County written as the city's export (synthetic.cad.write_export)
with the agency's own columns (remarks, caller name and number, so frequent callers are flagged),
its calls a tenth of the rows and the city's other calls the rest. Without DATABASE_URL it runs
on a fresh SQLite file in a temporary folder; with a PostgreSQL DATABASE_URL on a fresh database
created for the run and dropped after. Runs, each timed end to end (read, check, write, flag,
triage, commit):

1. import into an empty calls table, without triage;
2. the same file again (every call an update), without triage;
3. the table emptied, import with triage.

Each is run `--repeat` times (the tables emptied before each first import) and the fastest
kept, with every run's seconds beside it: on a shared machine other work only ever adds time,
so the fastest run is the one that measures the import (as timeit advises). The baseline is a
plain csv.reader pass over the same file in the same process, also the faster of two. The bar
is 20,000 rows/s. Results are merged into benchmarks/results/import_calls.json under the
vendor.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    ROOT,
    database_version,
    environment,
    prepare_database,
    save_result,
    timed,
)

SEED_CALLS = 14_958  # calls of `coresponse seed --seed 42` at scale 1
SEED_SHARE = 0.1  # of the file's rows: the rest are the city's other calls
BAR = 20_000  # rows per second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--city", default="seattle", choices=["seattle", "new-orleans", "detroit"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each import")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="coresponse-bench-"))
    drop = prepare_database(scratch)
    try:
        _run(args, scratch)
    finally:
        drop()
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, scratch: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from coresponse.dispatch.models import Call, TriageResult
    from coresponse.interop.cad import import_calls, load_mapping
    from coresponse.interop.synthetic.cad import INTERNAL_COLUMNS, write_export

    call_command("migrate", verbosity=0)
    path = scratch / f"{args.city}.csv"
    started = time.perf_counter()
    rows = write_export(
        path,
        args.city,
        seed=args.seed,
        scale=args.rows * SEED_SHARE / SEED_CALLS,
        background=1 - SEED_SHARE,
        internal=True,
    )
    size = path.stat().st_size
    print(
        f"{path.name}: {rows:,} rows, {size / 1e6:.1f} MB, "
        f"written in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    mapping = load_mapping(ROOT / "docs" / "cad-mappings" / f"{args.city}.toml")
    mapping = mapping.with_columns(**INTERNAL_COLUMNS)

    load_before = os.getloadavg()  # other work on the machine shows here
    baseline = min(timed(lambda: _read(path)) for _ in range(2))
    runs = {}

    def run(name: str, triage: bool) -> None:
        report = None

        def work():
            nonlocal report
            report = import_calls(path, mapping, triage=triage)

        seconds = timed(work)
        assert report.imported == rows and not report.problems
        print(
            f"{name}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s"
            f" { ({phase: round(s, 2) for phase, s in report.seconds.items()}) }"
            f" (load {os.getloadavg()[0]:.2f})",
            file=sys.stderr,
        )
        earlier = runs.get(name)
        every = [*(earlier["all_seconds"] if earlier else []), round(seconds, 2)]
        if earlier is None or seconds < earlier["seconds"]:
            runs[name] = {
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds),
                "vs_csv_read": round(seconds / baseline, 1),
                "phases": {phase: round(s, 2) for phase, s in report.seconds.items()},
                "created": report.created,
                "frequent_callers": report.frequent,
            }
        runs[name]["all_seconds"] = every

    def empty() -> None:
        with connection.cursor() as cursor:
            for model in (TriageResult, Call):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")

    for _ in range(args.repeat):
        empty()
        run("import_without_triage", triage=False)
        run("reimport_without_triage", triage=False)
    for _ in range(args.repeat):
        empty()
        run("import_with_triage", triage=True)

    result = {
        "database": connection.vendor,
        "database_version": database_version(connection),
        "city": args.city,
        "rows": rows,
        "file_megabytes": round(size / 1e6, 1),
        "baseline": "csv.reader over the same file, same process",
        "baseline_seconds": round(baseline, 2),
        "baseline_rows_per_second": round(rows / baseline),
        "bar_rows_per_second": BAR,
        "runs": runs,
        "meets_bar": {name: r["rows_per_second"] >= BAR for name, r in runs.items()},
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        **environment(),
    }
    saved = save_result("import_calls", connection.vendor, result)
    print(f"results in {saved.relative_to(ROOT)}", file=sys.stderr)
    print(json.dumps(result, indent=2))


def _read(path: Path) -> int:
    count = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for _row in csv.reader(handle):
            count += 1
    return count


if __name__ == "__main__":
    main()
