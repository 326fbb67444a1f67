"""Triage speed: one call in process, a million historical calls re-triaged, and the database path.

    .venv/bin/python benchmarks/bench_triage.py [--calls 1000000] [--protocol star]
        [--baseline-rows 100000] [--full-baseline] [--skip-db]

The calls come from the seed's own generator (coresponse.interop.synthetic.generate, Cedar
County at --scale, default 2, ~30,000 calls), repeated with whole-week time shifts up to
--calls, and every narrative made distinct with a CAD-style reference suffix, so no narrative
is ever seen twice: the compiled engine gets no help from repeated text. Frequent-caller flags
come from the generated encounters (3 or more calls of one person in 90 days).

Measured, in one process:
- decide: the latency of CompiledProtocol.decide for 20,000 single calls (p50, p99, max),
  and compile_protocol for a document;
- million: decide_many over --calls calls, one process, returning a Decision per call; and
  the same split over two worker processes returning the share table (the `triage` command's
  output);
- baseline: the same protocol evaluated row by row in plain Python over a list of dicts: each
  rule in order, each condition, each keyword scanned over the call's words with its negation
  check, as a straightforward implementation would. It runs on the first --baseline-rows calls
  (all with --full-baseline); the engine runs on the same rows in the same process, and the two
  must agree on every recommendation and fired rule. The ratio is baseline time / engine time.
- db (unless --skip-db): triage_calls over the seeded county's calls in a fresh database
  (SQLite, or PostgreSQL with DATABASE_URL), first write and an unchanged re-run.

Wall-clock and CPU time are both recorded: on a shared machine the wall clock also counts time
other processes held the cores, while CPU time is what the work itself took. Results are merged
into benchmarks/results/triage.json under the database vendor.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import multiprocessing
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "triage.json"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--protocol", default="star")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--full-baseline", action="store_true")
    parser.add_argument("--skip-db", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="coresponse-bench-"))
    from _common import prepare_database  # the fresh database every benchmark uses

    dropper = prepare_database(scratch)
    try:
        _run(args)
    finally:
        dropper()


def _run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from coresponse.dispatch.triage import protocols
    from coresponse.dispatch.triage.engine import compile_protocol
    from coresponse.interop.synthetic import generate

    zone = _zone(settings.TIME_ZONE)
    print(f"generating Cedar County at scale {args.scale:g} ...", flush=True)
    bundle = generate(seed=42, scale=args.scale)
    base = _base_rows(bundle.files)
    print(f"{len(base):,} generated calls; building {args.calls:,} distinct ones", flush=True)
    facts = _facts(base, args.calls)
    document = protocols.load(args.protocol)

    result: dict = {
        "protocol": args.protocol,
        "calls": len(facts),
        "generated_calls": len(base),
        "distinct_narratives": len(facts),  # by construction: each has its own reference
    }

    # compile and single-call latency
    compile_times = []
    for _ in range(20):
        started = time.perf_counter()
        compiled = compile_protocol(document, version=1, tz=zone)
        compile_times.append(time.perf_counter() - started)
    result["compile_ms_median"] = round(statistics.median(compile_times) * 1000, 2)
    sample = facts[-20_000:]
    compiled = compile_protocol(document, version=1, tz=zone)
    for f in sample[:500]:  # warm the vocabulary, as a running server has
        compiled.decide(f)
    wall, cpu = [], []
    for f in sample:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        compiled.decide(f)
        cpu.append(time.thread_time_ns() - started_cpu)
        wall.append(time.perf_counter_ns() - started)
    result["decide_us"] = {**_percentiles(wall), "cpu": _percentiles(cpu), "calls": len(wall)}
    print("decide:", result["decide_us"], flush=True)

    # a million calls, one process
    compiled = compile_protocol(document, version=1, tz=zone)
    started, started_cpu = time.perf_counter(), time.process_time()
    decisions = compiled.decide_many(facts)
    one, one_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    shares = Counter(d.recommendation for d in decisions)
    result["million"] = {
        "one_process_seconds": round(one, 2),
        "one_process_cpu_seconds": round(one_cpu, 2),
        "one_process_calls_per_second": round(len(facts) / one),
        "shares": {k: round(v / len(facts), 4) for k, v in sorted(shares.items())},
    }
    print(f"decide_many, one process: {one:.1f} s", flush=True)
    del decisions

    # the same, over two processes, returning the share table
    started = time.perf_counter()
    counts, worker_cpu = _shares_in_workers(document, facts, zone, workers=2)
    two = time.perf_counter() - started
    assert counts == shares, "the worker processes disagree with the single process"
    result["million"]["two_process_seconds"] = round(two, 2)
    result["million"]["two_process_worker_cpu_seconds"] = [round(t, 2) for t in worker_cpu]
    print(f"share table, two processes: {two:.1f} s", flush=True)

    # the baseline and the engine on the same rows, same process
    rows = facts if args.full_baseline else facts[: args.baseline_rows]
    dicts = [
        {
            "call_type": f.call_type,
            "priority": f.priority,
            "narrative": f.narrative,
            "received_at": f.received_at,
            "source": f.source,
            "flags": set(f.flags),
        }
        for f in rows
    ]
    started, started_cpu = time.perf_counter(), time.process_time()
    naive = [baseline(document, row, zone) for row in dicts]
    baseline_seconds = time.perf_counter() - started
    baseline_cpu = time.process_time() - started_cpu
    compiled = compile_protocol(document, version=1, tz=zone)
    started, started_cpu = time.perf_counter(), time.process_time()
    engine = compiled.decide_many(rows)
    engine_seconds = time.perf_counter() - started
    engine_cpu = time.process_time() - started_cpu
    disagree = sum(
        1 for a, b in zip(naive, engine, strict=True) if a != (b.recommendation, b.fired)
    )
    assert disagree == 0, f"baseline and engine disagree on {disagree} calls"
    result["baseline"] = {
        "what": "the same rules evaluated row by row over a list of dicts in plain Python",
        "rows": len(rows),
        "baseline_seconds": round(baseline_seconds, 2),
        "engine_seconds": round(engine_seconds, 2),
        "ratio": round(baseline_seconds / engine_seconds, 1),
        "baseline_cpu_seconds": round(baseline_cpu, 2),
        "engine_cpu_seconds": round(engine_cpu, 2),
        "cpu_ratio": round(baseline_cpu / engine_cpu, 1),
        "baseline_extrapolated_million_seconds": round(baseline_seconds / len(rows) * 1e6, 1),
        "agree": True,
    }
    print("baseline:", result["baseline"], flush=True)

    vendor = connection.vendor
    if not args.skip_db:
        result["db"] = _db(connection)
        print("db:", result["db"], flush=True)
    result.update(
        {
            "database": vendor,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[vendor] = result
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2))


def _percentiles(nanoseconds: list[int]) -> dict:
    ordered = sorted(nanoseconds)
    return {
        "p50": round(ordered[len(ordered) // 2] / 1000, 1),
        "p99": round(ordered[int(len(ordered) * 0.99)] / 1000, 1),
        "max": round(ordered[-1] / 1000, 1),
    }


# --- the calls -----------------------------------------------------------------------------------


def _zone(name):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _base_rows(files) -> list[tuple]:
    """(call_type, priority, narrative, received_at, source, frequent) for each generated call."""
    person_of = {e["call_id"]: e["person_id"] for e in files["encounters.csv"]}
    calls = files["calls.csv"]
    times = {c["call_id"]: datetime.fromisoformat(c["received_at"]) for c in calls}
    history: dict[str, list[datetime]] = defaultdict(list)
    frequent = set()
    for c in sorted(calls, key=lambda c: times[c["call_id"]]):
        person = person_of.get(c["call_id"])
        if not person:
            continue
        at = times[c["call_id"]]
        seen = [t for t in history[person] if at - t <= timedelta(days=90)]
        seen.append(at)
        history[person] = seen
        if len(seen) >= 3:
            frequent.add(c["call_id"])
    return [
        (
            c["call_type"],
            int(c["priority"]) if c["priority"] else None,
            c["narrative"],
            times[c["call_id"]],
            c["source"],
            c["call_id"] in frequent,
        )
        for c in calls
    ]


def _facts(base: list[tuple], total: int) -> list:
    from coresponse.dispatch.triage.engine import CallFacts, call_flags

    out = []
    week = timedelta(days=7)
    for n in range(total):
        call_type, priority, narrative, at, source, frequent = base[n % len(base)]
        copy = n // len(base)
        out.append(
            CallFacts(
                call_type,
                priority,
                f"{narrative}. CAD ref {copy:03d}-{n:07d}",
                at - copy * 105 * week,  # earlier two-year blocks, same hour of the week
                source,
                call_flags(frequent),
            )
        )
    return out


def _shares_in_workers(document, facts, zone, workers: int) -> Counter:
    global _SHARED
    _SHARED = (document, facts, zone)
    step = -(-len(facts) // workers)
    spans = [(i, min(i + step, len(facts))) for i in range(0, len(facts), step)]
    context = multiprocessing.get_context("fork")  # workers read the parent's calls, no pickling
    with context.Pool(workers) as pool:
        parts = pool.map(_worker, spans)
    total: Counter = Counter()
    for part, _ in parts:
        total.update(part)
    return total, [cpu for _, cpu in parts]


_SHARED = None


def _worker(span) -> tuple[Counter, float]:
    from coresponse.dispatch.triage.engine import compile_protocol

    started = time.process_time()
    document, facts, zone = _SHARED
    compiled = compile_protocol(document, version=1, tz=zone)
    counts = Counter(d.recommendation for d in compiled.decide_many(facts[span[0] : span[1]]))
    return counts, time.process_time() - started


# --- the baseline: the same rules, row by row, in plain Python -----------------------------------


def baseline(document: dict, row: dict, zone) -> tuple[str, tuple[str, ...]]:
    """Evaluate the document's rules for one call the straightforward way."""
    from coresponse.dispatch.triage import vera
    from coresponse.dispatch.triage.engine import words_of

    # The call's words, one space apart (punctuation that ends a clause becomes ","), so a
    # keyword is a plain regular-expression search in it.
    text = " " + " ".join(words_of(f"{row['call_type']}. {row['narrative']}")) + " "
    local = row["received_at"].astimezone(zone)
    program_hours = document.get("service_hours", [])
    window = document.get("negation_window", 3)
    for rule in [*document.get("exclusions", []), *document.get("rules", [])]:
        if _holds(rule, row, text, local, program_hours, window, vera):
            return rule["recommend"], (rule["id"],)
    return document["default"], ()


def _holds(rule, row, text, local, program_hours, window, vera) -> bool:
    type_ok = True
    if "call_types" in rule or "categories" in rule:
        type_ok = False
        code = " ".join(row["call_type"].upper().split())
        for pattern in rule.get("call_types", []):
            if fnmatch.fnmatchcase(code, " ".join(pattern.upper().split())):
                type_ok = True
        for category in rule.get("categories", []):
            if category in vera.categories_of(row["call_type"]):
                type_ok = True
    if not type_ok:
        return False
    if "priority" in rule:
        p = rule["priority"]
        low, high = (p, p) if isinstance(p, int) else p
        if row["priority"] is None or not low <= row["priority"] <= high:
            return False
    if "call_sources" in rule and row["source"] not in rule["call_sources"]:
        return False
    if "keywords_any" in rule and not any(_said(text, k, window) for k in rule["keywords_any"]):
        return False
    if "keywords_all" in rule and not all(_said(text, k, window) for k in rule["keywords_all"]):
        return False
    if "keywords_none" in rule and any(_said(text, k, window) for k in rule["keywords_none"]):
        return False
    if "hours" in rule:
        hours = rule["hours"]
        windows = program_hours if isinstance(hours, str) else hours
        inside = _within(windows, local)
        if inside != (hours != "outside_program"):
            return False
    if "flags_any" in rule and not set(rule["flags_any"]) & row["flags"]:
        return False
    return not ("flags_none" in rule and set(rule["flags_none"]) & row["flags"])


NEGATIONS = {
    "no", "not", "without", "denies", "denied", "deny", "denying", "never", "none", "nor",
    "neither", "negative", "non", "isn't", "wasn't", "doesn't", "didn't", "don't", "hasn't",
    "haven't", "cannot", "can't",
}  # fmt: skip
CLAUSE = {",", "but", "however", "though", "although", "except", "yet"}


def _said(text: str, keyword: str, window: int) -> bool:
    """Is the keyword in the call's words at least once without a negation? One regular
    expression search per keyword (Python caches the compiled patterns)."""
    star = keyword.endswith("*")
    parts = keyword.rstrip("*").lower().replace("-", " ").split()
    pattern = " " + " ".join(re.escape(p) for p in parts) + ("[^ ]*" if star else "") + "(?= )"
    for match in re.finditer(pattern, text):
        negated = False
        for word in reversed(text[: match.start()].split()[-window:] if window else []):
            if word in NEGATIONS:
                negated = True
                break
            if word in CLAUSE:
                break
        after = text[match.end() :].split()[:2]
        if after and after[0] == ",":
            after = after[1:]
        if after and after[0] in ("none", "negative", "neg", "denied"):
            negated = True
        if not negated:
            return True
    return False


def _within(windows, local) -> bool:
    if not windows:
        return True
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    for w in windows:
        start = int(w["start"][:2]) * 60 + int(w["start"][3:])
        end = int(w["end"][:2]) * 60 + int(w["end"][3:])
        if start < end:
            if day in w["days"] and start <= minute < end:
                return True
        else:
            if day in w["days"] and minute >= start:
                return True
            if (day - 1) % 7 in w["days"] and minute < end:
                return True
    return False


# --- the database path ---------------------------------------------------------------------------


def _db(connection) -> dict:
    from django.core.management import call_command

    from coresponse.dispatch.models import Call
    from coresponse.dispatch.services.triage import triage_calls
    from coresponse.interop.bundle import MemorySource, import_bundle
    from coresponse.interop.synthetic import generate, roster

    call_command("migrate", verbosity=0)
    import_bundle(MemorySource(generate(seed=42, scale=1.0).files))
    roster.build()
    calls = Call.objects.count()
    started = time.perf_counter()
    triage_calls(Call.objects.all())
    first = time.perf_counter() - started
    started = time.perf_counter()
    triage_calls(Call.objects.all())
    again = time.perf_counter() - started
    return {
        "calls": calls,
        "triage_calls_seconds": round(first, 2),
        "calls_per_second": round(calls / first),
        "unchanged_rerun_seconds": round(again, 2),
    }


if __name__ == "__main__":
    main()
