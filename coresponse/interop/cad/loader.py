"""Writing a checked CAD export, in one transaction: frequent callers found, the calls upserted
by external id with their flags, every call triaged, one audit event.

The calls go through the bundle's upsert (bundle.loader.Upsert: executemany on SQLite, COPY on
PostgreSQL): a new id is inserted, a known one updated in place, so importing the same export
twice changes nothing. Only the fields the mapping names are overwritten; a stored call keeps
the rest (its program unless --program is given, a caller's number the export does not carry).
"""

from __future__ import annotations

import bisect
import gc
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from operator import itemgetter

from django.db import transaction
from django.db.models import Count
from tqdm import tqdm

from coresponse.dispatch.models import Call, TriageResult
from coresponse.dispatch.services.intake import frequent_caller_threshold
from coresponse.dispatch.services.triage import triage_calls
from coresponse.dispatch.triage import vera
from coresponse.interop.bundle.loader import (
    BATCH,
    LOOKUP_BATCH,
    Upsert,
    _large_sqlite_cache,
    _lookup,
)
from coresponse.interop.bundle.schema import Problem
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.services import record

from .mapping import Mapping
from .reader import Checked, check

CALLER_FIELDS = ("caller_name", "caller_phone")
SCAN_FACTOR = 4  # read the whole time span when it holds at most this many times the file
TRIAGE_CHUNK = 5_000  # calls per triage_calls() (an IN list below every database's limit)


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
        with transaction.atomic(), _large_sqlite_cache():
            flags = None
            if "caller_phone" in checked.fields:
                started = time.perf_counter()
                flags = frequent_flags(checked)
                report.frequent = sum(flags)
                report.seconds["flag"] = time.perf_counter() - started
            _write(checked, flags, program, report, disable)
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
            if triage and checked.rows:
                started = time.perf_counter()
                report.recommendations = _triage(checked, disable)
                report.triaged = sum(report.recommendations.values())
                report.seconds["triage"] = time.perf_counter() - started
    finally:
        if collecting:
            gc.enable()
    return report


def _write(checked: Checked, flags, program, report: ImportReport, disable) -> None:
    """Upsert the rows; `flags`: each row's frequent_caller, when the export has callers."""
    started = time.perf_counter()
    fields = list(checked.fields)
    extra = []  # values after the row's own: its flag, the program
    if flags is not None:
        fields.append("frequent_caller")
    if program is not None:
        fields.append("program")
        extra.append(program.pk)
    writer = Upsert(Call, ["external_id"], [name for name in fields if name != "external_id"])
    # A row for the writer is the values, then the defaults of the fields the export does not
    # carry, picked in the writer's column order by one itemgetter; the values that need
    # adapting for the database (times, on SQLite) are adapted first.
    position = {name: index for index, name in enumerate(fields)}
    defaults, order = [], []
    for model_field in writer.fields:
        if model_field.name in position:
            order.append(position[model_field.name])
        else:
            order.append(len(fields) + len(defaults))
            defaults.append(writer.adapters[model_field.name])  # the prepared default
    pick = itemgetter(*order)
    adapt = [(position[n], writer.adapters[n]) for n in fields if writer.adapters[n] is not None]
    tail = extra + defaults
    ids = [values[0] for values in checked.rows]
    stored = _lookup(Call, ids)
    new, old = [], []
    with _bar("writing", disable, len(ids)) as bar:
        for index, values in enumerate(checked.rows):
            row = values + [flags[index]] + tail if flags is not None else values + tail
            for at, adapter in adapt:
                if row[at] is not None:
                    row[at] = adapter(row[at])
            batch = old if values[0] in stored else new
            batch.append(pick(row))
            if len(batch) == BATCH:
                writer.execute(batch, update=batch is old)
                bar.update(len(batch))
                batch.clear()
        for batch, update in ((new, False), (old, True)):
            if batch:
                writer.execute(batch, update=update)
                bar.update(len(batch))
    report.imported = len(ids)
    report.created = len(ids) - len(stored)
    report.seconds["write"] = time.perf_counter() - started


def frequent_flags(checked: Checked, *, stored: bool = True) -> list[bool]:
    """Each row's frequent_caller, exactly as intake decides it when it takes a call
    (dispatch.services.intake.is_frequent_caller): N or more calls from the number within the
    threshold's days ending at the call, the call included, counting the file's calls and, with
    `stored`, the calls already in the database (other than the file's own, which its rows
    replace). Computed before the write, so the flags are written with the calls."""
    calls, days = frequent_caller_threshold()
    window = timedelta(days=days)
    phone_at = checked.fields.index("caller_phone")
    time_at = checked.fields.index("received_at")
    history: dict[str, list] = defaultdict(list)  # number -> [(time, row index or -1)]
    for index, values in enumerate(checked.rows):
        if values[phone_at]:
            history[values[phone_at]].append((values[time_at], index))
    if stored and history:
        for phone, at in _stored_calls(checked, history, window):
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


def _stored_calls(checked: Checked, numbers, window):
    """(number, time) of the stored calls, other than the file's, from these numbers and near
    enough in time to count for the file's calls."""
    moments = [values[checked.fields.index("received_at")] for values in checked.rows]
    span = Call.objects.filter(
        received_at__gt=min(moments) - window, received_at__lte=max(moments)
    ).order_by()
    total = span.count()
    if not total:
        return
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


def _triage(checked: Checked, disable) -> dict[str, int]:
    """Triage the imported calls through the triage service and count the recommendations.

    The calls go as querysets of id ranges (a fresh import's ids are mostly consecutive), the
    rest in IN lists of TRIAGE_CHUNK ids."""
    pks = sorted(_lookup(Call, [values[0] for values in checked.rows]).values())
    counts: dict[str, int] = defaultdict(int)
    with _bar("triaging", disable, len(pks)) as bar:
        for calls, size in _batches(pks):
            triage_calls(calls)
            results = TriageResult.objects.filter(call__in=calls.values("pk")).order_by()
            for row in results.values("recommendation").annotate(n=Count("pk")):
                counts[row["recommendation"]] += row["n"]
            bar.update(size)
    return dict(counts)


def _batches(pks: list[int]):
    """(queryset, size) covering the sorted ids: runs of consecutive ids as ranges, the ids
    between them in IN lists."""
    scattered: list[int] = []
    start = 0
    while start < len(pks):
        end = start
        while end + 1 < len(pks) and pks[end + 1] == pks[end] + 1:
            end += 1
        if end - start + 1 >= TRIAGE_CHUNK:
            yield Call.objects.filter(pk__range=(pks[start], pks[end])), end - start + 1
        else:
            scattered.extend(pks[start : end + 1])
            if len(scattered) >= TRIAGE_CHUNK:
                yield Call.objects.filter(pk__in=scattered[:TRIAGE_CHUNK]), TRIAGE_CHUNK
                scattered = scattered[TRIAGE_CHUNK:]
        start = end + 1
    while scattered:
        chunk, scattered = scattered[:TRIAGE_CHUNK], scattered[TRIAGE_CHUNK:]
        yield Call.objects.filter(pk__in=chunk), len(chunk)


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
