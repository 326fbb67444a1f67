"""The large-import paths of the CAD import, forced on small files: triage decided aside (cached
per distinct facts) stores for every call what deciding that call alone gives; keys taken
before the write are the ones the database would give; plain indexes dropped during a large
load are all there again after it, and after a failed one."""

import datetime as dt
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from coresponse import bulk
from coresponse.agencies.models import Program
from coresponse.dispatch.models import Call, TriageResult
from coresponse.dispatch.services.triage import (
    _columns,
    _writer,
    facts_of,
    insert_results,
    install_protocol,
    protocol_for,
    reason_ids,
)
from coresponse.dispatch.triage import protocols
from coresponse.dispatch.triage.engine import Decision, compile_protocol
from coresponse.interop.cad import import_calls, load_mapping
from coresponse.interop.synthetic.cad import INTERNAL_COLUMNS, write_export

MAPPINGS = Path(__file__).resolve().parents[3] / "docs" / "cad-mappings"
# Program hours that open and close during the file's days, so time conditions vary per call.
HOURS = [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]


def _uncached(version, program, call):
    """The call decided alone, by a protocol compiled just for it, with no cache consulted."""
    compiled = compile_protocol(
        version.document,
        version=version.number,
        service_hours=program.service_hours,
        tz=timezone.get_default_timezone(),
    )
    facts = facts_of(call)
    hits = compiled.scan(facts.call_type, facts.narrative)
    return compiled._evaluate(facts, hits, compiled._time_signature(facts.received_at))


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "seattle.csv"
    rows = write_export(path, "seattle", seed=11, scale=0.02, background=0.3, internal=True)
    mapping = load_mapping(MAPPINGS / "seattle.toml").with_columns(**INTERNAL_COLUMNS)
    return path, mapping, rows


@pytest.mark.django_db
def test_every_shipped_protocol_stores_what_each_call_decided_alone_gives(export, monkeypatch):
    # Forked, with keys taken beforehand and the indexes rebuilt: every large-import path.
    monkeypatch.setattr("coresponse.dispatch.triage.parallel.ASIDE_MIN_CALLS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    path, mapping, rows = export
    seen_exclusion = seen_negation = seen_hours = False
    for name in sorted(protocols.EXAMPLES):
        program = Program.objects.create(
            external_id=f"p-{name}", name=name, model="ride_along", service_hours=HOURS
        )
        install_protocol(program, name)
        # The first import creates the calls (results inserted), the others update them
        # (results compared and replaced): both ways of storing are checked.
        report = import_calls(path, mapping, program=program)
        assert report.triaged == rows and TriageResult.objects.count() == rows
        version, _ = protocol_for(program)
        calls = Call.objects.select_related("triage", "program")
        assert len(calls) == rows
        for call in calls:
            alone = _uncached(version, program, call)
            stored = call.triage
            assert stored.version_id == version.pk, call.external_id
            assert (stored.recommendation, tuple(stored.fired), stored.explanation) == (
                alone.recommendation,
                alone.fired,
                alone.explanation,
            ), call.external_id
            seen_exclusion |= bool(alone.fired) and alone.fired[0].startswith("X")
            seen_negation |= "per narrative" in alone.explanation
            seen_hours |= "program hours" in alone.explanation
    # The file exercises what the cache must get right.
    assert seen_exclusion and seen_negation and seen_hours


@pytest.mark.django_db(transaction=True)
def test_keys_taken_before_the_write_are_the_next_the_table_gives():
    def call(external_id, **extra):
        return Call.objects.create(
            external_id=external_id, received_at=timezone.now(), source="911", call_type="X",
            **extra,
        )  # fmt: skip

    first = call("a")
    call("b").delete()  # a used id is never given again
    if connection.vendor == "sqlite":  # only while the transaction holds the write lock
        assert bulk.new_ids(Call, 3) is None
    with transaction.atomic():
        taken = list(bulk.new_ids(Call, 3))
        assert len(set(taken)) == 3 and min(taken) > first.pk + 1
        for n, pk in enumerate(taken):
            call(f"t{n}", id=pk)
    assert call("after").pk > max(taken)


@pytest.mark.django_db
def test_a_large_load_rebuilds_the_plain_indexes_and_a_failed_one_keeps_them(export, monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)

    def indexes(model=Call):
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
        return {
            name: (tuple(c["columns"]), c["index"], c["unique"], c["foreign_key"])
            for name, c in found.items()
            if c["index"] or c["foreign_key"]
        }

    before, results = indexes(), indexes(TriageResult)
    assert len(before) >= 4  # received_at, caller_phone, program, created_by (and more)
    path, mapping, rows = export
    assert import_calls(path, mapping).triaged == rows  # the results' keys dropped and added
    assert indexes() == before and indexes(TriageResult) == results
    with transaction.atomic():
        with pytest.raises(IntegrityError), bulk.indexes_rebuilt_after(Call, rows):
            assert indexes() != before  # dropped while the rows go in
            Call.objects.create(
                external_id=Call.objects.first().external_id,
                received_at=timezone.now(),
                source="911",
                call_type="X",
            )
        assert indexes() == before  # the savepoint's rollback restored them
        assert Call.objects.count() == rows


@pytest.mark.django_db
def test_results_of_a_large_load_are_still_checked_against_their_calls(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    decision = Decision("police_only", ("X1",), "Police only: weapon seen (exclusion X1).")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_results([987_654], [0], [(None, decision)], timezone.now())  # no such call
        connection.check_constraints()  # SQLite checks deferred keys at the commit
    assert not TriageResult.objects.exists()


def test_the_writers_times_are_what_django_stores():
    """The bulk writer's own time text (SQLite) is Django's, to the microsecond, in any zone
    and on either side of a clock change; on PostgreSQL it is Django's adaptation itself."""
    writer = bulk.Upsert(Call, ["external_id"], ["received_at"])
    adapt = writer.adapters["received_at"]
    zones = [ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kolkata"), dt.UTC]
    times = [
        datetime(2024, 3, 10, 1, 59, 59, tzinfo=zones[0]),
        datetime(2024, 3, 10, 3, 0, 0, tzinfo=zones[0]),
        datetime(2024, 11, 3, 1, 30, 0, tzinfo=zones[0], fold=1),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=zones[1]),
        datetime(2024, 2, 29, 0, 0, 0, 1, tzinfo=zones[2]),
    ]
    moment = datetime(2023, 12, 31, 22, 0, 7, tzinfo=zones[1])
    while moment.year < 2025:  # every day of two years, a different minute and second each
        times.append(moment)
        moment += timedelta(days=1, minutes=7, seconds=13)
    expected = [connection.ops.adapt_datetimefield_value(value) for value in times]
    assert [adapt(value) for value in times] == expected


def test_a_writer_takes_its_columns_in_the_rows_order_and_each_once():
    names = [f.name for f in Call._meta.concrete_fields if not f.primary_key]
    writer = bulk.Upsert(Call, ["external_id"], [], columns=names[::-1])
    assert [f.name for f in writer.fields] == names[::-1]
    with pytest.raises(ValueError, match="each of"):
        bulk.Upsert(Call, ["external_id"], [], columns=names[1:])
    with pytest.raises(ValueError, match="each of"):
        bulk.Upsert(Call, ["external_id"], [], columns=[*names, names[0]])


@pytest.mark.django_db
def test_rows_inserted_as_picks_of_a_few_distinct_rows_are_those_rows(monkeypatch):
    """insert_picks writes row i as keys[i] then distinct[picks[i]], exactly as the plain
    executemany/COPY path writes the same rows: ids in any order, None kept, times as text."""
    monkeypatch.setattr(bulk, "BATCH", 7)  # several batches
    stamp = datetime(2024, 5, 1, 12, 0, 0, 250, tzinfo=dt.UTC)
    decision = Decision("co_responder", ("R1",), "Co-responder: suicidal (rule R1).")
    Call.objects.bulk_create(
        Call(external_id=f"c{n}", received_at=stamp, source="911", call_type="X") for n in range(40)
    )
    ids = list(Call.objects.order_by("-pk").values_list("pk", flat=True))
    other = Decision("ems", ("M1",), "EMS: medical emergency (exclusion M1).")
    reasons = reason_ids([decision, other])
    writer = _writer()
    at = writer.adapters["triaged_at"](stamp)
    distinct = [(*_columns(None, d, reasons), at) for d in (decision, other)]
    picks = [n % 3 % 2 for n in range(len(ids))]
    fields = ("call_id", "version_id", "recommendation", "reason_id", "triaged_at")

    def stored():
        return list(TriageResult.objects.order_by("call_id").values_list(*fields))

    advanced = []

    def plain(keys, chosen):
        rows = [(key, *distinct[pick]) for key, pick in zip(keys, chosen, strict=True)]
        writer.execute(rows, update=False)

    writer.insert_picks(ids[:20], picks[:20], distinct, advanced.append)
    plain(ids[20:], picks[20:])
    joined = stored()
    TriageResult.objects.all().delete()
    plain(ids, picks)
    assert joined == stored()
    assert advanced == [7, 7, 6]
    assert {row[2] for row in joined} == {"co_responder", "ems"}
    assert TriageResult.objects.get(call_id=ids[0]).triaged_at == stamp


@pytest.mark.django_db
def test_an_import_writes_one_btree_per_result_and_no_index_entries_for_empty_owners():
    """A result's call id is its row's key (SQLite: the rowid, no second B-tree); a call's
    program and creator are indexed only where given, and a lookup by either uses the index."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Call._meta.db_table)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA index_list(dispatch_triageresult)")
            assert not [row for row in cursor.fetchall() if row[3] == "pk"]  # no autoindex
            cursor.execute("PRAGMA table_info(dispatch_triageresult)")
            assert ("call_id", "integer", 1) in [
                (r[1], r[2].lower(), r[5]) for r in cursor.fetchall()
            ]
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: show the index
    for column, name in (
        ("program_id", "call_program_given"),
        ("created_by_id", "call_created_by_given"),
    ):
        assert [n for n, c in found.items() if c["index"] and c["columns"] == [column]] == [name]
    program = Program.objects.create(external_id="p", name="Co-responders", model="ride_along")
    assert "call_program_given" in Call.objects.filter(program=program).explain()
    assert "call_created_by_given" in Call.objects.filter(created_by_id=1).explain()
