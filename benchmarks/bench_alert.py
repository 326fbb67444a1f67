"""The responder crisis alert at county scale: lookups of drifted descriptions of real records
over ~1,000,000 person records of six agencies, at a steady 100 lookups a second, each one
matching, deciding the policy for every record of the human and writing its audit entry.

    .venv/bin/python benchmarks/bench_alert.py [--scale 59] [--rate 100] [--lookups 3000] [--keep]

Data: the seed's county at --scale (59: about a million person records held by the clinic, two
police agencies, EMS, the hospital and the 988 line) streamed to CSV and imported with its
agreements, consents, enrollments, calls and encounters; the identity links are the
generator's ground truth (how fast links are found is bench_linkage's business). Generating and
importing a million records takes about twelve minutes: with --keep, on PostgreSQL, the county
stays in its own database for the next run. Viewers: an officer of Riverton PD and a clinician
of St. Brigid (each sees by the county's MOU and the people's consents).

Load: --lookups lookups, started on a fixed schedule of --rate a second (open loop: a slow one
does not slow the next start) by --processes server processes of --threads threads each, every
thread with its own database connection. The default, four processes of one thread, is how the
README's `gunicorn --workers 4` serves (sync workers), forked from a parent that loaded the app.
Each lookup's server-side time is the time inside `interop.alert.lookup` (matching, policy,
the care view and the audit write); its wait-inclusive time counts from its scheduled start.

Before the load, the SQL statements of a hundred lookups are counted (one at a time); after
it, the audit chain that every lookup appended to is verified.

Baseline, same run: the same records fetched by a plain indexed SQL lookup (their unique
external id), one after another. Results are merged into benchmarks/results/alert.json under
the database vendor; the bar is p99 < 50 ms server-side on PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import ROOT, database_version, environment, prepare_database, save_result

BAR_MS = 50
FILES = (
    "agencies.csv", "programs.csv", "persons.csv", "calls.csv", "encounters.csv",
    "enrollments.csv", "agreements.csv", "consents.csv",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=59.0)
    parser.add_argument("--rate", type=float, default=100.0, help="lookups started per second")
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=4, help="server processes")
    # One thread each: with more, a lookup's Python waits for the interpreter lock that another
    # lookup of the same process holds (server-side time, not throughput).
    parser.add_argument("--threads", type=int, default=1, help="threads in each process")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="PostgreSQL: keep the loaded county in coresponse_bench_alert_<scale> and reuse it",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="coresponse-bench-"))
    keep = f"coresponse_bench_alert_{args.scale:g}".replace(".", "_") if args.keep else ""
    drop = prepare_database(scratch, keep=keep)
    try:
        _run(args, scratch)
    finally:
        drop()
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args, scratch: Path) -> None:
    import os

    import django

    # As a production server runs: with DEBUG on, Django would also keep every query's text.
    os.environ.setdefault("DEBUG", "false")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    result = {"scale": args.scale, **_load(scratch, args.scale)}
    viewers = _viewers()
    queries = _queries(args.lookups + 200)
    for user in viewers.values():  # warm up: the matcher's model, the plans, the caches
        for query in queries[:100]:
            _lookup(user, query)
    statements = {name: _statements(user, queries[100:200]) for name, user in viewers.items()}
    result["lookups"] = {
        name: _load_test(user, queries[200:], args) for name, user in viewers.items()
    }
    for name, run in result["lookups"].items():
        run["statements_per_lookup"] = statements[name]
    result["baseline"] = _baseline(queries[200:])
    for run in result["lookups"].values():
        run["p99_vs_baseline_p99"] = round(run["server_ms"]["p99"] / result["baseline"]["p99"], 1)
        run["meets_bar"] = run["server_ms"]["p99"] < BAR_MS
    from coresponse.privacy.services import verify_chain

    problems = verify_chain()  # every lookup's entry, written by concurrent writers
    result["audit_chain"] = {"intact": not problems, "problems": len(problems)}
    result.update(
        database=connection.vendor,
        database_version=database_version(connection),
        bar_p99_ms=BAR_MS,
        load_average=[round(load, 2) for load in os.getloadavg()],
        **environment(),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            result["shared_buffers"] = cursor.fetchone()[0]
    saved = save_result("alert", connection.vendor, result)
    print(f"results in {saved.relative_to(ROOT)}", file=sys.stderr)
    import json

    print(json.dumps(result, indent=2, default=str))


def _load(scratch: Path, scale: float) -> dict:
    from coresponse.interop.bundle import DirectorySource, import_bundle
    from coresponse.interop.synthetic import write
    from coresponse.people.models import IdentityLink, LinkStatus, Person

    if Person.objects.exists():  # a kept database (--keep): the county of an earlier run
        return {
            "person_records": Person.objects.count(),
            "agencies_holding_records": Person.objects.values("agency").distinct().count(),
            "links": IdentityLink.objects.count(),
            "reused_database": True,
        }
    county, bundle = scratch / "county", scratch / "bundle"
    began = time.perf_counter()
    write(county, seed=42, scale=scale)
    generated = time.perf_counter() - began
    bundle.mkdir()
    for name in FILES:
        shutil.move(county / name, bundle / name)
    truth = list(csv.DictReader((county / "identity_truth.csv").open()))
    shutil.rmtree(county)
    began = time.perf_counter()
    import_bundle(DirectorySource(bundle))
    imported = time.perf_counter() - began
    shutil.rmtree(bundle)
    ids = dict(Person.objects.values_list("external_id", "pk").iterator(chunk_size=50_000))
    by_human: dict[str, list[int]] = {}
    for row in truth:
        by_human.setdefault(row["human_id"], []).append(ids[row["person_id"]])
    links = [
        IdentityLink(person_a_id=a, person_b_id=b, score=1.0, status=LinkStatus.AUTO)
        for records in by_human.values()
        for i, a in enumerate(sorted(records))
        for b in sorted(records)[i + 1 :]
    ]
    IdentityLink.objects.bulk_create(links, batch_size=10_000)
    from django.db import connection

    # The statistics and (on PostgreSQL) the visibility map a running database's autovacuum
    # keeps: index-only scans read nothing of the table for pages all transactions see.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    records = len(ids)
    agencies = Person.objects.values("agency").distinct().count()
    print(f"{records:,} person records of {agencies} agencies, {len(links):,} links", flush=True)
    return {
        "person_records": records,
        "agencies_holding_records": agencies,
        "humans": len(by_human),
        "links": len(links),
        "generate_seconds": round(generated, 1),
        "import_seconds": round(imported, 1),
    }


def _viewers() -> dict:
    from coresponse.agencies.models import Agency, Membership, Role, User

    viewers = {}
    for name, agency, role in (
        ("officer", "riverton-pd", Role.OFFICER),
        ("hospital_clinician", "st-brigid", Role.CLINICIAN),
    ):
        user, _ = User.objects.get_or_create(username=f"bench-{name}")
        Membership.objects.get_or_create(
            user=user, agency=Agency.objects.get(external_id=agency), role=role
        )
        viewers[name] = user
    return viewers


def _queries(count: int) -> list[dict]:
    """Descriptions of stored records as a caller gives them: a nickname or a typo, day and
    month swapped, a field left out."""
    from coresponse.people.models import Person

    rng = random.Random(7)
    top = Person.objects.order_by("-id").values_list("id", flat=True).first()
    out = []
    while len(out) < count:
        person = Person.objects.filter(id__gte=rng.randrange(top)).order_by("id").first()
        if person is None or not person.last_name:
            continue
        query = {
            "external_id": person.external_id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "dob": person.dob,
            "phone": person.phone,
            "address": "",
        }
        roll = rng.random()
        if roll < 0.25 and person.dob and person.dob.day <= 12:
            query["dob"] = person.dob.replace(month=person.dob.day, day=person.dob.month)
        elif roll < 0.5 and len(person.first_name) > 4:
            f = person.first_name
            query["first_name"] = f[:2] + f[3] + f[2] + f[4:]
        elif roll < 0.75:
            query["phone"] = ""
        else:
            query["dob"] = None
            query["address"] = person.address
        out.append(query)
    return out


def _lookup(user, query) -> float:
    from coresponse.interop.alert import lookup
    from coresponse.privacy.policy import forget

    forget(user)  # each lookup is its own request: the standing is loaded again,
    user.__dict__.pop("_prefetched_objects_cache", None)  # the memberships with it
    began = time.perf_counter()
    lookup(user, **{k: v for k, v in query.items() if k != "external_id" and v})
    return (time.perf_counter() - began) * 1000


def _statements(user, queries) -> float:
    """SQL statements sent per lookup (BEGIN and COMMIT included), one lookup at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        for query in queries:
            _lookup(user, query)
    return round(len(captured.captured_queries) / len(queries), 2)


def _load_test(user, queries, args) -> dict:
    """--processes server processes (as a server's workers), each with --threads threads and
    their own connections, share the schedule: lookup i starts at start + i / rate."""
    import multiprocessing

    from django.db import connections

    from coresponse.privacy.models import AuditEvent

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    count = min(args.lookups, len(queries))
    start = time.perf_counter() + 1.0  # CLOCK_MONOTONIC: the same clock in every process
    connections.close_all()  # each process opens its own
    gc.freeze()  # what coresponse/wsgi.py does once a server's worker has loaded the app
    jobs = [(user.pk, queries, n, args, count, start) for n in range(args.processes)]
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        parts = pool.starmap(_serve, jobs)
    elapsed = time.perf_counter() - began - 1.0
    server = [ms for part in parts for ms in part[0]]
    waited = [ms for part in parts for ms in part[1]]
    audited = AuditEvent.objects.filter(id__gt=before, action="lookup", actor=user)
    return {
        "lookups": len(server),
        "processes": args.processes,
        "threads_per_process": args.threads,
        "achieved_rate_per_second": round(len(server) / elapsed, 1),
        "server_ms": _percentiles(server),
        "with_wait_ms": _percentiles(waited),
        "audited": audited.count(),
        "found_something": audited.filter(detail__contains="records shown").count(),
    }


def _serve(user_pk, queries, offset, args, count, start) -> tuple[list[float], list[float]]:
    """One server process: its share of the schedule (every --processes-th lookup)."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    local = threading.local()
    server, waited = [], []
    interval = 1 / args.rate

    def one(index: int) -> None:
        if not hasattr(local, "user"):  # each thread: its own connection and user object
            local.user = get_user_model().objects.get(pk=user_pk)
        scheduled = start + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        server.append(_lookup(local.user, queries[index]))
        waited.append((time.perf_counter() - scheduled) * 1000)

    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(one, range(offset, count, args.processes)))
    connections.close_all()
    return server, waited


def _baseline(queries) -> dict:
    from coresponse.people.models import Person

    times = []
    for query in queries:
        began = time.perf_counter()
        Person.objects.get(external_id=query["external_id"])
        times.append((time.perf_counter() - began) * 1000)
    return {"what": "Person by its unique external id, one at a time", **_percentiles(times)}


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p90": round(ordered[int(len(ordered) * 0.9) - 1], 2),
        "p99": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "max": round(ordered[-1], 2),
    }


if __name__ == "__main__":
    main()
