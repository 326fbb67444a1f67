"""Writing a checked CAD export, in one transaction: frequent callers found, the calls upserted
by external id with their flags, every call triaged, one audit event.

Triage does not wait for the write: the calls' facts are known from the checked rows, so they
are built and decided on the other core (dispatch.triage.parallel) while this process writes
the calls, and the results are stored once the calls have their ids (taken before the write,
bulk.new_ids, so the results need no lookup), each new call's result a row built from the few
hundred distinct results of the import. A first load (none of its calls stored yet) works its
frequent callers out there too, as the facts are built: its calls are written unflagged and
the frequent callers' marked after, so the flags cost the write no time.

A large file is checked in two processes (reader.check), with the same report as one pass.

The calls go through the shared upsert (coresponse.bulk.Upsert: executemany on SQLite, binary
COPY on PostgreSQL): a new id is inserted, a known one updated in place, so importing the same
export twice changes nothing. Only the fields the mapping names are overwritten; a stored call keeps
the rest (its program unless --program is given, a caller's number the export does not carry).
"""

from __future__ import annotations

import bisect
import gc
import operator
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce
from itertools import repeat
from operator import itemgetter

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from coresponse.bulk import (
    BATCH,
    LOOKUP_BATCH,
    Upsert,
    indexes_rebuilt_after,
    large_sqlite_cache,
    new_ids,
    stored_ids,
)
from coresponse.dispatch.models import Call
from coresponse.dispatch.services.intake import frequent_caller_threshold
from coresponse.dispatch.services.triage import insert_results, protocols_for, store_results
from coresponse.dispatch.triage import vera
from coresponse.dispatch.triage.engine import CallFacts, call_flags
from coresponse.dispatch.triage.parallel import decide_aside
from coresponse.interop.bundle.schema import Problem
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.services import record

from .mapping import Mapping
from .reader import Checked, check

CALLER_FIELDS = ("caller_name", "caller_phone")
SCAN_FACTOR = 4  # read the whole time span when it holds at most this many times the file
MAX_RUNS = 100  # runs of consecutive keys of a re-import's stored calls left out in SQL


class CadImportError(Exception):
    """Nothing was imported; `.problems` lists every problem found (FILE:LINE:COLUMN: reason)."""

    def __init__(self, problems, *, checked: Checked | None = None):
        self.problems = list(problems)
        self.checked = checked
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ImportReport:
    path: str
    rows: int = 0  # data rows in the file
    imported: int = 0
    created: int = 0
    skipped: int = 0  # bad rows left out (--skip-bad)
    problems: list[Problem] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # call type -> calls, no category
    frequent: int = 0  # imported calls flagged as from a frequent caller
    triaged: int = 0
    recommendations: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per phase

    @property
    def updated(self) -> int:
        return self.imported - self.created

    def summary(self) -> list[str]:
        total = sum(self.seconds.values())
        rate = f", {self.imported / total:,.0f} rows/s" if total and self.imported else ""
        lines = [
            f"Imported {self.imported:,} calls from {self.path} ({self.created:,} new, "
            f"{self.updated:,} updated) in {total:.1f} s{rate}."
        ]
        if self.skipped:
            lines.append(f"Skipped {self.skipped:,} bad rows (listed above).")
        if self.unmapped:
            calls = sum(self.unmapped.values())
            top = ", ".join(
                f"{code!r} ({n:,})"
                for code, n in sorted(self.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
            )
            lines.append(
                f"{len(self.unmapped):,} call types ({calls:,} calls) have no screening category"
                f" and fall to the protocol's default: {top}"
                + (" ..." if len(self.unmapped) > 5 else "")
            )
        if self.frequent:
            lines.append(f"{self.frequent:,} calls are from frequent callers.")
        if self.triaged:
            shares = ", ".join(
                f"{name} {n / self.triaged:.1%}"
                for name, n in sorted(self.recommendations.items(), key=lambda kv: -kv[1])
            )
            lines.append(f"Triaged {self.triaged:,} calls: {shares}.")
        return lines


def import_calls(
    path,
    mapping: Mapping,
    *,
    program=None,
    skip_bad: bool = False,
    triage: bool = True,
    progress: bool = False,
) -> ImportReport:
    """Check every row of the export, then write it (all of it, or with `skip_bad` the good
    rows) in one transaction. Raises CadImportError when nothing may be written.

    `program`: a Program the calls belong to (their triage then uses its protocol).
    """
    disable = None if progress else True  # None: tqdm shows itself only on a terminal
    report = ImportReport(str(path))
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of live rows: cyclic collection would be most of the time
    try:
        started = time.perf_counter()
        total = _line_count(path)
        with _bar("checking", disable, total) as bar:
            checked = check(path, mapping, advance=bar.update)
        report.seconds["check"] = time.perf_counter() - started
        report.rows = checked.read_rows
        report.problems = checked.problems
        if checked.problems and (checked.fatal or not skip_bad):
            raise CadImportError(checked.problems, checked=checked)
        report.skipped = checked.bad_rows
        report.unmapped = {
            code: n for code, n in checked.call_types.items() if not vera.categories_of(code)
        }
        with transaction.atomic(), large_sqlite_cache():
            stored = stored_ids(Call, [values[0] for values in checked.rows])
            callers = "caller_phone" in checked.fields
            # A first load works its frequent callers out with its triage, beside the write
            # (the flags are facts the rules read), then flags the written calls.
            beside = callers and triage and bool(checked.rows) and not stored
            flags = None
            if callers and not beside:
                started = time.perf_counter()
                flags = frequent_flags(checked, own=stored.values())
                report.frequent = sum(flags)
                report.seconds["flag"] = time.perf_counter() - started
            decided = pks = None
            if triage and checked.rows:
                started = time.perf_counter()
                decided = _decide(checked, flags, program, stored, flags_beside=beside)
                pks = _taken_keys(checked, stored)
                report.seconds["triage"] = time.perf_counter() - started
            _write(checked, flags, program, stored, report, disable, pks)
            if beside:
                started = time.perf_counter()
                _, _, pending = decided
                report.frequent = _flag_written(checked, pending.also(), pks)
                report.seconds["flag"] = time.perf_counter() - started
            record(
                None,
                "import",
                object_type="calls",
                categories=[DataCategory.IDENTITY]
                if any(name in checked.fields for name in CALLER_FIELDS)
                else [],
                detail=f"{path} ({mapping.name}): {report.imported} calls, "
                f"{report.created} new, {report.skipped} bad rows skipped",
            )
            if decided is not None:
                started = time.perf_counter()
                report.recommendations = _store_triage(checked, decided, disable, stored, pks)
                report.triaged = sum(report.recommendations.values())
                report.seconds["triage"] += time.perf_counter() - started
    finally:
        if collecting:
            gc.enable()
    return report


def _write(checked: Checked, flags, program, stored, report: ImportReport, disable, pks=None):
    """Upsert the rows; `flags`: each row's frequent_caller, when the export has callers;
    `pks`: each row's primary key, taken beforehand (bulk.new_ids) for the new ones."""
    started = time.perf_counter()
    fields = list(checked.fields)
    extra = []  # values after the row's own and its flag: the program
    if flags is not None:
        fields.append("frequent_caller")
    if program is not None:
        fields.append("program")
        extra.append(program.pk)
    update = [name for name in fields if name != "external_id"]
    # A row for the writer is the values, then the defaults of the fields the export does not
    # carry (then, for a new row with a key taken beforehand, its key): the writer's columns
    # are in that order. The values that need adapting for the database (times, on SQLite)
    # are adapted.
    rest = [
        f.name for f in Call._meta.concrete_fields if not f.primary_key and f.name not in fields
    ]
    columns = fields + rest
    # Binary COPY on PostgreSQL: the rows hold the columns' own Python types.
    writers = {
        True: Upsert(Call, ["external_id"], update, binary=True, columns=columns),  # stored
        False: Upsert(
            Call,
            ["external_id"],
            update,
            binary=True,
            pk=pks is not None,
            columns=columns + [Call._meta.pk.name] if pks is not None else columns,
        ),
    }
    adapters = writers[True].adapters
    tail = extra + [adapters[name] for name in rest]  # the prepared defaults
    adapt = [(at, adapters[name]) for at, name in enumerate(fields) if adapters[name] is not None]
    new, old = [], []
    batches = {True: old, False: new}
    fresh = len(checked.rows) - len(stored)
    flagged = flags is not None
    with _bar("writing", disable, len(checked.rows)) as bar, indexes_rebuilt_after(Call, fresh):
        for values, flag, key in zip(
            checked.rows, flags or repeat(False), pks or repeat(None), strict=False
        ):
            row = [*values, flag, *tail] if flagged else [*values, *tail]
            for at, adapter in adapt:
                if row[at] is not None:
                    row[at] = adapter(row[at])
            is_stored = values[0] in stored
            if key is not None and not is_stored:
                row.append(key)
            batch = batches[is_stored]
            batch.append(row)
            if len(batch) == BATCH:
                writers[is_stored].execute(batch, update=is_stored)
                bar.update(len(batch))
                batch.clear()
        for is_stored, batch in batches.items():
            if batch:
                writers[is_stored].execute(batch, update=is_stored)
                bar.update(len(batch))
    report.imported = len(checked.rows)
    report.created = fresh
    report.seconds["write"] = time.perf_counter() - started


def frequent_flags(checked: Checked, *, known=None, own=()) -> list[bool]:
    """Each row's frequent_caller, exactly as intake decides it when it takes a call
    (dispatch.services.intake.is_frequent_caller): N or more calls from the number within the
    threshold's days ending at the call, the call included, counting the file's calls and the
    calls already in the database (other than the file's own, which its rows replace).

    `known`: those stored calls as (number, time), read beforehand (stored_calls) to work the
    flags out away from the database (beside the write, where the triage is decided), or ()
    to count the file's calls alone; None reads them here, `own` being the keys of the
    file's calls already stored (a re-import's), which that read can then skip in SQL."""
    calls, days = frequent_caller_threshold()
    window = timedelta(days=days)
    phone_at = checked.fields.index("caller_phone")
    time_at = checked.fields.index("received_at")
    history: dict[str, list] = defaultdict(list)  # number -> [(time, row index or -1)]
    for index, values in enumerate(checked.rows):
        if values[phone_at]:
            history[values[phone_at]].append((values[time_at], index))
    if known is None and history:
        known = _stored_calls(checked, window, history, own)
    for phone, at in known or ():
        history[phone].append((at, -1))
    flags = [False] * len(checked.rows)
    first = itemgetter(0)
    for entries in history.values():
        if len(entries) < calls:
            continue
        entries.sort(key=first)
        times = [at for at, _ in entries]
        for at, index in entries:
            if index >= 0:
                count = bisect.bisect_right(times, at) - bisect.bisect_right(times, at - window)
                flags[index] = count >= calls
    return flags


def stored_calls(checked: Checked) -> list[tuple]:
    """(number, time) of the stored calls frequent_flags counts with the file's, read now."""
    _, days = frequent_caller_threshold()
    return list(_stored_calls(checked, timedelta(days=days)))


def _flag_written(checked: Checked, flags: bytes, pks) -> int:
    """Flag the calls just written unflagged whose flags were worked out beside the write (one
    byte per row, from frequent_flags); returns how many."""
    rows = [index for index, flag in enumerate(flags) if flag]
    if pks is not None:
        keys = [pks[index] for index in rows]
    else:
        found = stored_ids(Call, [checked.rows[index][0] for index in rows])
        keys = [found[checked.rows[index][0]] for index in rows]
    for start in range(0, len(keys), LOOKUP_BATCH):
        Call.objects.filter(pk__in=keys[start : start + LOOKUP_BATCH]).update(frequent_caller=True)
    return len(keys)


def _stored_calls(checked: Checked, window, numbers=None, own=()):
    """(number, time) of the stored calls, other than the file's, from these numbers (None:
    the file's) and near enough in time to count for the file's calls. `own`: the keys of the
    file's stored calls; when they are a few runs of consecutive keys (a file imported before
    in one go), the database leaves them out, so a re-import reads none of its own calls."""
    moment = itemgetter(checked.fields.index("received_at"))
    first, last = min(map(moment, checked.rows)), max(map(moment, checked.rows))
    span = Call.objects.filter(received_at__gt=first - window, received_at__lte=last).order_by()
    runs = _runs(own)
    if 0 < len(runs) <= MAX_RUNS:
        span = span.exclude(reduce(operator.or_, (Q(pk__range=run) for run in runs)))
    total = span.count()
    if not total:
        return
    if numbers is None:
        phone = itemgetter(checked.fields.index("caller_phone"))
        numbers = set(filter(None, map(phone, checked.rows)))
    imported = {values[0] for values in checked.rows}
    fields = ("caller_phone", "received_at", "external_id")
    if total <= SCAN_FACTOR * len(imported):  # the span is mostly this file: one pass over it
        rows = span.exclude(caller_phone="").values_list(*fields).iterator(10_000)
    else:
        ordered = sorted(numbers)
        rows = (
            row
            for start in range(0, len(ordered), LOOKUP_BATCH)
            for row in span.filter(
                caller_phone__in=ordered[start : start + LOOKUP_BATCH]
            ).values_list(*fields)
        )
    for phone, at, external_id in rows:
        if phone in numbers and external_id not in imported:
            yield phone, at


def _runs(keys) -> list[tuple[int, int]]:
    """Sorted keys as (first, last) of each run of consecutive ones."""
    runs: list[list[int]] = []
    for key in sorted(keys):
        if runs and key == runs[-1][1] + 1:
            runs[-1][1] = key
        else:
            runs.append([key, key])
    return [(low, high) for low, high in runs]


def _decide(checked: Checked, flags, program, stored: dict[str, int], *, flags_beside=False):
    """Start deciding every row's triage, on the other core when there are many (see
    dispatch.triage.parallel), from the facts the calls will hold once written: the row's
    values, and for a stored call the fields the export does not carry, as stored.

    `flags_beside`: the frequent-caller flags are worked out where the facts are built (from
    the stored calls read here) and come back as the pending's `also()`, one byte per row.

    Returns (version per program group, row indices per group, the pending decisions)."""
    fields = checked.fields
    at = {name: index for index, name in enumerate(fields)}
    missing = [name for name in ("priority", "narrative") if name not in at]
    also = None
    if flags_beside:
        known, worked_out = stored_calls(checked), []

        def flags_of() -> list[bool]:
            if not worked_out:
                worked_out.append(frequent_flags(checked, known=known))
            return worked_out[0]

        def also() -> bytes:
            return bytes(flags_of())

    else:

        def flags_of() -> list[bool] | None:
            return flags

        if flags is None:
            missing.append("frequent_caller")
    if program is None:
        missing.append("program")
    kept = _stored_facts(checked, stored, missing) if missing else {}
    blank = {"priority": None, "narrative": "", "frequent_caller": False, "program": None}
    rows = checked.rows
    groups: dict[int | None, list[int]] = {}
    if program is not None or not kept:  # one program for every row
        groups[program.pk if program is not None else None] = list(range(len(rows)))
    else:
        for index, values in enumerate(rows):
            groups.setdefault(kept.get(values[0], blank)["program"], []).append(index)

    def facts_of(indices: list[int]):
        """The rows' facts: built where they are decided (the other core, for many), a
        column at a time (the row's value, else the stored call's, else the blank)."""

        def build() -> list[CallFacts]:
            group = rows if len(indices) == len(rows) else [rows[i] for i in indices]
            olds = [kept.get(values[0], blank) for values in group] if kept else None

            def column(name: str):
                if name in at:
                    return map(itemgetter(at[name]), group)
                return map(itemgetter(name), olds) if olds else repeat(blank[name])

            known_flags = flags_of()
            frequent = (
                map(known_flags.__getitem__, indices)
                if known_flags is not None
                else column("frequent_caller")
            )
            return list(
                map(
                    CallFacts,
                    column("call_type"),
                    column("priority"),
                    column("narrative"),
                    column("received_at"),
                    column("source"),
                    map(call_flags, frequent),
                )
            )

        return build

    chosen = protocols_for(groups)
    versions = [chosen[program_id][0] for program_id in groups]
    pending = decide_aside(
        [(chosen[pid][1], facts_of(indices)) for pid, indices in groups.items()],
        len(rows),
        also=also,
    )
    return versions, list(groups.values()), pending


def _stored_facts(checked: Checked, stored: dict[str, int], names: list[str]) -> dict:
    """external id -> {name: value} of the stored calls among the rows, for `names`."""
    columns = ["program_id" if name == "program" else name for name in names]
    ids = sorted({values[0] for values in checked.rows if values[0] in stored})
    kept = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        for external_id, *values in Call.objects.filter(external_id__in=batch).values_list(
            "external_id", *columns
        ):
            kept[external_id] = dict(zip(names, values, strict=True))
    return kept


def _taken_keys(checked: Checked, stored: dict[str, int]) -> Sequence[int] | None:
    """Each row's primary key, the new rows' taken beforehand (bulk.new_ids), so their triage
    results are written without looking the calls up; None where keys cannot be taken."""
    taken = new_ids(Call, len(checked.rows) - len(stored))
    if taken is None:
        return None if len(stored) < len(checked.rows) else [stored[v[0]] for v in checked.rows]
    if not stored:  # a first load: the rows' keys are the ones taken, in order
        return taken
    fresh = iter(taken)
    return [stored.get(values[0]) or next(fresh) for values in checked.rows]


def _store_triage(checked: Checked, decided, disable, stored, pks) -> dict[str, int]:
    """Store the decisions as the calls' triage results; the recommendations counted. A new
    call has no result yet: its result is inserted without asking for an old one, from the few
    distinct (version, decision) pairs the import's calls share."""
    versions, rows, pending = decided
    if pks is None:
        found = stored_ids(Call, [values[0] for values in checked.rows])
        pks = [found[values[0]] for values in checked.rows]
    distinct, choices = pending.choices()
    results: list[tuple] = []  # distinct (version, decision) of the new calls' results
    fresh_ids: list[int] = []
    fresh_choices: list[int] = []
    again: dict[int, tuple] = {}  # stored calls: call id -> (version, decision)
    counts: Counter[str] = Counter()
    for version, indices, picked in zip(versions, rows, choices, strict=True):
        for choice, n in Counter(picked).items():
            counts[distinct[choice].recommendation] += n
        base = len(results)
        results.extend((version, decision) for decision in distinct)
        if not stored:  # a first load: every call is new, nothing to tell apart per call
            fresh_ids.extend(map(pks.__getitem__, indices))
            fresh_choices.extend(map(base.__add__, picked))
            continue
        for index, choice in zip(indices, picked, strict=True):
            if checked.rows[index][0] in stored:
                again[pks[index]] = (version, distinct[choice])
            else:
                fresh_ids.append(pks[index])
                fresh_choices.append(base + choice)
    at = timezone.now()
    with _bar("triaging", disable, len(fresh_ids) + len(again)) as bar:
        store_results(again, at, advance=bar.update)
        insert_results(fresh_ids, fresh_choices, results, at, advance=bar.update)
    return dict(counts)


def _line_count(path) -> int | None:
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


def _bar(label: str, disable, total=None) -> tqdm:
    return tqdm(
        desc=label, total=total, unit=" rows", unit_scale=True, file=sys.stderr, disable=disable
    )
