"""What the benchmarks share: a fresh database for the run (prepare_database, called before
django.setup()), timing, and merging a result into benchmarks/results/<name>.json by vendor.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def prepare_database(scratch: Path, keep: str = ""):
    """Point Django at a fresh database; returns a function that throws it away.

    Without DATABASE_URL: a new SQLite file in `scratch`. With a PostgreSQL DATABASE_URL: a new
    database on that server, dropped afterwards, or with `keep` the database of that name,
    created if missing and left in place for the next run (a load of many minutes). Any other
    URL is used as given."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponse.settings")
    if not url:
        os.environ["CORESPONSE_VAR_DIR"] = str(scratch)  # settings put the SQLite file here
        return lambda: None
    if not url.startswith(("postgres://", "postgresql://")):
        return lambda: None  # some other database: use it as given
    import psycopg

    parts = urlsplit(url)
    name = keep or f"coresponse_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not found.fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    if keep:
        return lambda: None

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return drop


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def database_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("select version()")
        return cursor.fetchone()[0]


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_result(name: str, vendor: str, result: dict) -> Path:
    """Merge `result` into benchmarks/results/<name>.json under the database vendor."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[vendor] = result
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path
