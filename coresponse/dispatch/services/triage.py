"""Triage of calls by their program's protocol, and the protocols' versions.

- `triage_call(call)`: the program's active protocol (its newest version) decides; a call of a
  program without one, or of no program, gets the default screening protocol. The result (the
  version, the rules that fired, one sentence) replaces the call's previous triage.
- `triage_calls(calls)`: the same for many calls at once (the seed, re-triage): decided in bulk
  per program and written with a few bulk queries; an unchanged result is left as it was.
- `protocols_for(program ids)`, `store_results(...)` and `insert_results(...)` (calls that have
  no result yet): the halves of that, for an import that decides its calls from the rows it
  holds (interop.cad.loader) while it writes them.
- `reason_ids(decisions)`: the stored TriageReason of each decision's rules and sentence, which
  the calls decided alike share.
- `save_version(protocol, document, user=..., note=...)`: a new version; old versions and the
  results they produced never change. Audited.

The default screening protocol is the TriageProtocol with external id "default" (the seed and
`install_protocol(None, "default")` create it); without it, the shipped document is used and
results carry no version.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from coresponse.agencies.models import Program
from coresponse.bulk import LOOKUP_BATCH, Upsert, indexes_rebuilt_after
from coresponse.dispatch.models import (
    Call,
    ProtocolVersion,
    TriageProtocol,
    TriageReason,
    TriageResult,
)
from coresponse.dispatch.triage import protocols
from coresponse.dispatch.triage.engine import (
    CallFacts,
    CompiledProtocol,
    Decision,
    call_flags,
    compile_protocol,
    hours_problems,
)
from coresponse.privacy.services import record

DEFAULT_ID = "default"
_WRITTEN = ("version", "recommendation", "reason", "triaged_at")
CHUNK = 5000
_FIELDS = (
    "id",
    "program_id",
    "call_type",
    "priority",
    "narrative",
    "received_at",
    "source",
    "frequent_caller",
)

# Compiled protocols by (version id, its creation time, the program hours): versions never
# change, so an entry is never stale; the creation time guards against a reused id.
_compiled: dict[tuple, CompiledProtocol] = {}
_lock = threading.Lock()


def facts_of(call: Call) -> CallFacts:
    return CallFacts(
        call_type=call.call_type,
        priority=call.priority,
        narrative=call.narrative,
        received_at=call.received_at,
        source=call.source,
        flags=call_flags(call.frequent_caller),
    )


def _compile(version: ProtocolVersion | None, hours: list | None) -> CompiledProtocol:
    if hours is not None and hours_problems(hours):
        hours = None  # a program's broken hours must not stop intake: the document's own apply
    stamp = version.created_at.isoformat() if version is not None else ""
    key = (version.pk if version else None, stamp, json.dumps(hours, sort_keys=True))
    compiled = _compiled.get(key)
    if compiled is None:
        document = version.document if version is not None else protocols.load(DEFAULT_ID)
        compiled = compile_protocol(
            document,
            version=version.number if version is not None else None,
            service_hours=hours,
            tz=timezone.get_default_timezone(),
        )
        with _lock:
            if len(_compiled) > 256:
                _compiled.clear()
            _compiled[key] = compiled
    return compiled


def compile_version(version: ProtocolVersion | None, program: Program | None) -> CompiledProtocol:
    """A version compiled with a program's hours (None: the shipped default document)."""
    return _compile(version, program.service_hours if program is not None else None)


def newest_version(protocol: TriageProtocol) -> ProtocolVersion | None:
    return protocol.versions.order_by("-number").first()


def default_protocol() -> TriageProtocol | None:
    return TriageProtocol.objects.filter(external_id=DEFAULT_ID).first()


def protocol_for(program: Program | None) -> tuple[ProtocolVersion | None, CompiledProtocol]:
    """The version in force for a program's calls, compiled with the program's hours."""
    version = None
    if program is not None:
        active = TriageProtocol.objects.filter(program=program, is_active=True).first()
        version = newest_version(active) if active is not None else None
    if version is None:
        default = default_protocol()
        version = newest_version(default) if default is not None else None
    hours = program.service_hours if program is not None else None
    return version, _compile(version, hours)


def triage_call(call: Call, *, at: datetime | None = None) -> TriageResult:
    """Triage one call with its program's protocol; stores (or replaces) call.triage."""
    version, compiled = protocol_for(call.program)
    decision = compiled.decide(facts_of(call))
    result, _ = TriageResult.objects.update_or_create(
        call=call,
        defaults={
            "version": version,
            "recommendation": decision.recommendation,
            "reason_id": reason_ids([decision])[_reason_key(decision)],
            "triaged_at": at or timezone.now(),
        },
    )
    call.triage = result
    return result


def protocols_for(program_ids: Iterable[int | None]) -> dict[int | None, tuple]:
    """(version, compiled protocol) in force for each program id (None: calls of no program)."""
    wanted = set(program_ids)
    programs = Program.objects.in_bulk([pk for pk in wanted if pk is not None])
    return {pk: protocol_for(programs.get(pk)) for pk in wanted}


def triage_calls(
    calls: QuerySet[Call] | Iterable[Call], *, at: datetime | None = None
) -> Counter[str]:
    """Triage many calls; returns how many got each recommendation.

    A queryset is read in chunks as plain values (no model instances), so a million calls fit
    in memory. A call whose result would not change keeps its result and its triaged_at.
    """
    at = at or timezone.now()
    chosen: dict[int | None, tuple[ProtocolVersion | None, CompiledProtocol]] = {}
    counts: Counter[str] = Counter()
    for chunk in _chunks(calls):
        by_program: dict[int | None, list[tuple[int, CallFacts]]] = {}
        for call_id, program_id, *fields in chunk:
            by_program.setdefault(program_id, []).append((call_id, _facts(*fields)))
        chosen.update(protocols_for(set(by_program) - chosen.keys()))
        wanted: dict[int, tuple[ProtocolVersion | None, object]] = {}
        for program_id, rows in by_program.items():
            version, compiled = chosen[program_id]
            decisions = compiled.decide_many(facts for _, facts in rows)
            for (call_id, _), decision in zip(rows, decisions, strict=True):
                wanted[call_id] = (version, decision)
                counts[decision.recommendation] += 1
        store_results(wanted, at)
    return counts


def _facts(call_type, priority, narrative, received_at, source, frequent) -> CallFacts:
    return CallFacts(call_type, priority, narrative, received_at, source, call_flags(frequent))


def _chunks(calls) -> Iterable[list[tuple]]:
    if isinstance(calls, QuerySet):
        rows = calls.order_by().values_list(*_FIELDS).iterator(chunk_size=CHUNK)
    else:
        rows = (
            (
                c.pk,
                c.program_id,
                c.call_type,
                c.priority,
                c.narrative,
                c.received_at,
                c.source,
                c.frequent_caller,
            )
            for c in calls
        )
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def store_results(wanted: dict[int, tuple], at: datetime, advance=lambda n: None) -> None:
    """Store call id -> (version, decision): new results inserted, changed ones updated, an
    unchanged one left with its triaged_at (calls just created: insert_results).

    Through the shared bulk upsert (binary COPY on PostgreSQL), CHUNK calls at a time: Django's
    bulk_create spends ~0.1 ms a row preparing values, too slow for a 500,000-call import."""
    writer = _writer()
    stamp = writer.adapters["triaged_at"](at)
    reasons = reason_ids(decision for _, decision in wanted.values())
    ids = sorted(wanted)
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            existing = _stored_results(chunk)
            inserts, updates = [], []
            for call_id in chunk:
                row = _columns(*wanted[call_id], reasons)
                old = existing.get(call_id)
                if old == row:
                    continue
                (inserts if old is None else updates).append((call_id, *row, stamp))
            for rows, update in ((inserts, False), (updates, True)):
                if rows:
                    writer.execute(rows, update=update)
            advance(len(chunk))


def insert_results(
    call_ids: Sequence[int],
    choices: Sequence[int],
    results: Sequence[tuple],
    at: datetime,
    advance=lambda n: None,
) -> None:
    """Insert the results of calls that have none yet (just created, as by an import): call
    `call_ids[i]` gets `results[choices[i]]`, a (version, decision). An import's calls share a
    few hundred distinct results, so each is a row of a few numbers with the call id in front,
    through the shared bulk writer (Upsert.insert_picks: binary COPY on PostgreSQL, joined in
    SQLite from the distinct rows), with nothing looked up."""
    writer = _writer()
    stamp = writer.adapters["triaged_at"](at)
    reasons = reason_ids(decision for _, decision in results)
    # a result's columns after its call's
    prepared = [(*_columns(version, decision, reasons), stamp) for version, decision in results]
    with (
        transaction.atomic(),
        indexes_rebuilt_after(TriageResult, len(call_ids), foreign_keys=True),
    ):
        writer.insert_picks(call_ids, choices, prepared, advance)


def _writer() -> Upsert:
    """The results' bulk writer: a row is the call (its key), then _WRITTEN."""
    return Upsert(
        TriageResult, ["call"], list(_WRITTEN), binary=True, pk=True, columns=["call", *_WRITTEN]
    )


def _columns(version, decision: Decision, reasons: dict[tuple, int]) -> tuple:
    """A result's version, recommendation and reason (_WRITTEN less the time)."""
    return (
        version.pk if version is not None else None,
        decision.recommendation,
        reasons[_reason_key(decision)],
    )


def _reason_key(decision: Decision) -> tuple:
    return decision.explanation, tuple(decision.fired)


def reason_ids(decisions: Iterable[Decision]) -> dict[tuple, int]:
    """(explanation, rules fired) -> the id of its TriageReason, for each decision's; those not
    stored yet are created (a concurrent writer's are kept: the unique constraint decides)."""
    wanted = {_reason_key(decision) for decision in decisions}
    found = _stored_reasons(wanted)
    missing = wanted - found.keys()
    if missing:
        TriageReason.objects.bulk_create(
            [TriageReason(explanation=text, fired=list(fired)) for text, fired in sorted(missing)],
            ignore_conflicts=True,
        )
        found.update(_stored_reasons(missing))
    return found


def _stored_reasons(wanted: set[tuple]) -> dict[tuple, int]:
    texts = sorted({text for text, _ in wanted})
    found = {}
    for start in range(0, len(texts), LOOKUP_BATCH):
        rows = TriageReason.objects.filter(explanation__in=texts[start : start + LOOKUP_BATCH])
        for pk, text, fired in rows.values_list("pk", "explanation", "fired"):
            if (text, tuple(fired)) in wanted:
                found[text, tuple(fired)] = pk
    return found


def _stored_results(ids: list[int]) -> dict[int, tuple]:
    """call id -> (version id, recommendation, reason id) of the sorted ids' results."""
    # Fresh calls (an import, the seed) have no results: one cheap range query says so.
    if not TriageResult.objects.filter(call_id__gte=ids[0], call_id__lte=ids[-1]).exists():
        return {}
    return {
        call_id: tuple(rest)
        for call_id, *rest in TriageResult.objects.filter(call_id__in=ids).values_list(
            "call_id", "version_id", "recommendation", "reason_id"
        )
    }


# --- protocols and versions ----------------------------------------------------------------------


@transaction.atomic
def save_version(protocol: TriageProtocol, document: dict, *, user, note: str) -> ProtocolVersion:
    """Add version N+1 of a protocol. Raises ProtocolError (with .problems) for a bad document.

    Earlier versions, and the triage results that name them, stay as they were; new calls get
    the new version from now on.
    """
    compile_protocol(document)  # validates; raises ProtocolError
    locked = TriageProtocol.objects.select_for_update().get(pk=protocol.pk)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProtocolVersion.objects.create(
        protocol=locked,
        number=number,
        document=document,
        note=note.strip()[:300],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    record(
        user,
        "protocol_version",
        object_type="triage_protocol",
        object_id=locked.pk,
        detail=f"{locked.name} v{number} saved: {note.strip()}"[:500],
    )
    return version


@transaction.atomic
def create_protocol(
    program: Program | None,
    document: dict,
    *,
    user,
    external_id: str = "",
    activate: bool = True,
) -> TriageProtocol:
    """A new protocol with its first version; active for the program (replacing any other)."""
    compile_protocol(document)
    if not external_id:
        external_id = _free_external_id(
            f"{program.external_id if program else 'shared'}-{document['name']}"
        )
    if activate and program is not None:
        TriageProtocol.objects.filter(program=program, is_active=True).update(is_active=False)
    protocol = TriageProtocol.objects.create(
        external_id=external_id,
        name=document["name"][:200],
        description=document.get("description", ""),
        program=program,
        is_active=activate and program is not None,
    )
    save_version(protocol, document, user=user, note="First version.")
    return protocol


def install_protocol(program: Program | None, example: str) -> TriageProtocol:
    """Install a shipped example for a program (None: as the default screening protocol).

    Idempotent: a protocol already installed (with any later versions a manager saved) is left
    alone, so seeding again changes nothing.
    """
    external_id = DEFAULT_ID if program is None else f"{program.external_id}-{example}"
    existing = TriageProtocol.objects.filter(external_id=external_id).first()
    if existing is not None and existing.versions.exists():
        return existing
    document = protocols.load(example)
    if existing is not None:  # created by hand without a version
        save_version(existing, document, user=None, note="Shipped example.")
        return existing
    return create_protocol(program, document, user=None, external_id=external_id)


def _free_external_id(base: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:56] or "protocol"
    candidate, n = base, 2
    while TriageProtocol.objects.filter(external_id=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate
