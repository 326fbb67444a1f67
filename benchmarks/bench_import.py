"""Import speed of the exchange bundle: N encounters (and the rest in proportion) from CSV files.

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
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "import.json"
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="coresponse-bench-"))
    dropper = _prepare_database(scratch)
    try:
        _run(args, scratch)
    finally:
        dropper()
        shutil.rmtree(scratch, ignore_errors=True)


def _prepare_database(scratch: Path):
    """Point Django at a fresh database; returns a function that throws it away."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponse.settings")
    if not url:
        os.environ["CORESPONSE_VAR_DIR"] = str(scratch)  # settings put the SQLite file here
        return lambda: None
    if not url.startswith(("postgres://", "postgresql://")):
        return lambda: None  # some other database: use it as given
    import psycopg

    parts = urlsplit(url)
    name = f"coresponse_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return drop


def _run(args, scratch: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from coresponse.interop.bundle import (
        DirectorySource,
        export_bundle,
        import_bundle,
        write_bundle,
    )

    call_command("migrate", verbosity=0)
    folder = scratch / "bundle"
    counts = write_bundle(folder, generate(args.encounters, args.seed))
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
        "encounters": args.encounters,
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


# --- the synthetic bundle ---------------------------------------------------------------------


def generate(encounters: int, seed: int) -> dict[str, list[dict[str, str]]]:
    """A bundle with `encounters` encounters and the other files in proportion."""
    rng = random.Random(seed)
    persons_n = max(1, encounters * 2 // 5)
    calls_n = max(1, encounters * 11 // 10)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = 365 * 24 * 3600

    def stamp(moment: datetime) -> str:
        return moment.astimezone(DENVER).isoformat()

    agencies = [
        {"agency_id": f"AG{i}", "name": name, "kind": kind}
        for i, (name, kind) in enumerate(
            [
                ("Metro Police", "law_enforcement"),
                ("County Sheriff", "law_enforcement"),
                ("Mountain Behavioral Health", "behavioral_health"),
                ("Metro Fire", "fire"),
                ("County 911", "psap"),
                ("Peer Network", "community_provider"),
            ]
        )
    ]
    programs = [
        {"program_id": "PR0", "name": "Ride-along", "model": "ride_along", "agency_ids": "AG0;AG2"},
        {"program_id": "PR1", "name": "STAR", "model": "civilian_team", "agency_ids": "AG2;AG3"},
        {
            "program_id": "PR2",
            "name": "SCRT",
            "model": "three_person_team",
            "agency_ids": "AG2;AG5",
        },
        {"program_id": "PR3", "name": "Vets", "model": "specialised", "agency_ids": "AG1;AG2"},
    ]
    for program, focus in zip(programs, ["general", "general", "general", "veterans"], strict=True):
        program["focus_population"] = focus
    first = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"]
    last = ["Ortiz", "Lee", "Nguyen", "Smith", "Haddad", "Kowalski", "Begay", "Okafor"]
    sexes = ["female", "male", "unknown", ""]
    races = ["white", "black", "hispanic_latino", "asian", "multiracial", "unknown", ""]
    persons = [
        {
            "person_id": f"PE{i:07d}",
            "agency_id": rng.choice(("AG0", "AG1", "AG2")),
            "first_name": rng.choice(first),
            "last_name": rng.choice(last),
            "dob": (date(1940, 1, 1) + timedelta(days=rng.randrange(28_000))).isoformat(),
            "sex": rng.choice(sexes),
            "race_ethnicity": rng.choice(races),
            "address": f"{rng.randrange(1, 9999)} {rng.choice(last)} St",
            "phone": f"555-{rng.randrange(10_000):04d}",
            "veteran": rng.choice(("true", "false", "")),
            "language": rng.choice(("en", "en", "es", "")),
        }
        for i in range(persons_n)
    ]
    call_types = ["Welfare check", "Suicidal subject", "Disturbance", "Mental health crisis"]
    sources = ["911", "988", "non_emergency", "officer_initiated"]
    calls, received = [], []
    for i in range(calls_n):
        moment = start + timedelta(seconds=rng.randrange(span))
        received.append(moment)
        calls.append(
            {
                "call_id": f"CA{i:07d}",
                "received_at": stamp(moment),
                "source": rng.choice(sources),
                "call_type": rng.choice(call_types),
                "priority": rng.choice(("1", "2", "3", "4", "5", "")),
                "address": f"{rng.randrange(1, 9999)} Main St",
                "latitude": repr(round(39.5 + rng.random(), 6)),
                "longitude": repr(round(-105.2 + rng.random(), 6)),
                "district": f"D{rng.randrange(1, 8)}",
                "narrative": 'Caller reports a person in distress, "talking to no one".',
                "program_id": rng.choice(("PR0", "PR1", "PR2", "PR3", "")),
            }
        )
    services = ["assessment", "de_escalation", "crisis_counseling", "referral", "peer_support"]
    concerns = ["suicidal_ideation", "psychosis", "depression", "substance_use", "welfare"]
    dispositions = ["resolved_on_scene", "referred", "voluntary_transport_er", "arrest", ""]
    encounter_rows, encounter_times = [], []
    for i in range(encounters):
        has_call = rng.random() < 0.85
        call_index = i % calls_n
        base = received[call_index] if has_call else start + timedelta(seconds=rng.randrange(span))
        dispatched = base + timedelta(minutes=rng.randrange(1, 10))
        on_scene = dispatched + timedelta(minutes=rng.randrange(3, 30))
        cleared = on_scene + timedelta(minutes=rng.randrange(10, 120))
        officer_cleared = on_scene + timedelta(minutes=rng.randrange(5, 60))
        arrest = rng.random() < 0.03
        encounter_times.append(cleared)
        encounter_rows.append(
            {
                "encounter_id": f"EN{i:07d}",
                "call_id": f"CA{call_index:07d}" if has_call else "",
                "person_id": f"PE{rng.randrange(persons_n):07d}",
                "program_id": rng.choice(("PR0", "PR1", "PR2", "PR3")),
                "kind": "crisis" if has_call else rng.choice(("follow_up", "outreach")),
                "dispatched_at": stamp(dispatched),
                "on_scene_at": stamp(on_scene),
                "cleared_at": stamp(cleared),
                "officer_cleared_at": stamp(officer_cleared),
                "disposition": "arrest" if arrest else rng.choice(dispositions),
                "services": ";".join(rng.sample(services, rng.randrange(0, 4))),
                "arrest": _bool(arrest),
                "citation": _bool(rng.random() < 0.02),
                "jail_booking": _bool(arrest and rng.random() < 0.5),
                "er_transport": _bool(rng.random() < 0.05),
                "hospital_admission": _bool(rng.random() < 0.03),
                "involuntary_hold": _bool(rng.random() < 0.04),
                "use_of_force": _bool(rng.random() < 0.01),
                "arrest_eligible": _bool(rng.random() < 0.1),
                "clinical_note": "Calm after de-escalation; agreed to follow-up."
                if rng.random() < 0.8
                else "",
                "substance_use_note": "Reports alcohol use." if rng.random() < 0.2 else "",
                "presenting_concerns": ";".join(rng.sample(concerns, rng.randrange(0, 3))),
                "weapon_present": _bool(rng.random() < 0.02),
                "injuries": _bool(rng.random() < 0.02),
            }
        )
    service_types = ["outpatient_mental_health", "substance_use_treatment", "housing", "food"]
    referrals = []
    for i in range(encounters * 7 // 20):
        index = rng.randrange(encounters)
        sent = encounter_times[index]
        status = rng.choice(("sent", "accepted", "completed", "no_show"))
        closed = status in ("completed", "no_show")
        referrals.append(
            {
                "referral_id": f"RE{i:07d}",
                "encounter_id": f"EN{index:07d}",
                "person_id": encounter_rows[index]["person_id"],
                "service_type": rng.choice(service_types),
                "provider": "Mountain Behavioral Health",
                "sent_at": stamp(sent),
                "status": status,
                "closed_at": stamp(sent + timedelta(days=rng.randrange(1, 30))) if closed else "",
            }
        )
    followups = []
    for i in range(encounters // 2):
        index = rng.randrange(encounters)
        due = encounter_times[index] + timedelta(days=rng.randrange(1, 8))
        done = rng.random() < 0.7
        followups.append(
            {
                "followup_id": f"FU{i:07d}",
                "encounter_id": f"EN{index:07d}",
                "person_id": encounter_rows[index]["person_id"],
                "due_at": stamp(due),
                "completed_at": stamp(due + timedelta(hours=rng.randrange(48))) if done else "",
                "outcome": rng.choice(("connected", "unable_to_reach", "declined")) if done else "",
                "attempts": str(rng.randrange(0, 4)),
            }
        )
    enrollments = []
    for i in range(encounters // 20):
        begin = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        enrollments.append(
            {
                "enrollment_id": f"ER{i:07d}",
                "person_id": f"PE{rng.randrange(persons_n):07d}",
                "provider": "Mountain Behavioral Health",
                "service_type": rng.choice(service_types),
                "start_date": begin.isoformat(),
                "end_date": (begin + timedelta(days=rng.randrange(30, 400))).isoformat()
                if rng.random() < 0.5
                else "",
            }
        )
    return {
        "agencies.csv": agencies,
        "programs.csv": programs,
        "persons.csv": persons,
        "calls.csv": calls,
        "encounters.csv": encounter_rows,
        "referrals.csv": referrals,
        "followups.csv": followups,
        "enrollments.csv": enrollments,
    }


def _bool(value: bool) -> str:
    return "true" if value else "false"


try:
    from zoneinfo import ZoneInfo

    DENVER = ZoneInfo("America/Denver")
except Exception:  # no tz database: fixed offsets are fine for a benchmark
    DENVER = UTC


if __name__ == "__main__":
    main()
