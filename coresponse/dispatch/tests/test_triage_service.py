"""Triage with the database: a call's protocol, stored results, bulk triage, versioning and the
audit of a change."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from coresponse.agencies.models import Agency, Program
from coresponse.dispatch.models import (
    Call,
    ProtocolVersion,
    TriageProtocol,
    TriageReason,
    TriageResult,
)
from coresponse.dispatch.services.triage import (
    install_protocol,
    protocol_for,
    save_version,
    triage_call,
    triage_calls,
)
from coresponse.dispatch.triage import protocols
from coresponse.dispatch.triage.engine import ProtocolError
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import verify_chain

TZ = ZoneInfo("America/Denver")
AFTERNOON = datetime(2026, 10, 27, 15, 0, tzinfo=TZ)  # a Tuesday
NIGHT = datetime(2026, 10, 27, 3, 0, tzinfo=TZ)


@pytest.fixture
def ride(db):
    pd = Agency.objects.create(external_id="pd", name="PD", kind="law_enforcement")
    program = Program.objects.create(
        external_id="ride",
        name="Ride-along",
        model="ride_along",
        service_hours=[{"days": list(range(7)), "start": "11:00", "end": "23:00"}],
    )
    program.agencies.add(pd)
    return program


def call(n, program=None, at=AFTERNOON, **fields):
    values = {
        "external_id": f"C-{n}",
        "received_at": at,
        "source": "911",
        "call_type": "SUICIDE - IP/JO SUICIDAL PERSON AND ATTEMPTS",
        "priority": 2,
        "narrative": "RP states her son wants to die, no weapons in the home",
        "program": program,
    }
    values.update(fields)
    return Call.objects.create(**values)


def test_a_call_is_triaged_by_its_programs_active_protocol(ride):
    protocol = install_protocol(ride, "ride-along")
    result = triage_call(call(1, ride))
    assert result.version == protocol.versions.get() and result.version.number == 1
    assert result.recommendation == "co_responder" and result.fired == ["R1"]
    assert result.explanation.startswith("Co-responder team: suicidal-ideation call during ")
    assert "(rule R1 of Riverton ride-along v1)" in result.explanation
    night = triage_call(call(2, ride, at=NIGHT))
    assert night.fired == ["R7"] and night.recommendation == "clinician_phone"  # after hours


def test_no_program_or_no_protocol_falls_back_to_default_screening(ride):
    shipped = triage_call(call(1))  # nothing installed: the shipped document, no version
    assert shipped.version is None and shipped.recommendation == "co_responder"
    assert shipped.explanation.endswith("(rule R3 of Default screening).")
    default = install_protocol(None, "default")
    assert triage_call(call(2, ride)).version == default.versions.get()


def test_triage_replaces_the_previous_result(ride):
    c = call(1, ride)
    triage_call(c)
    c.narrative = "RP states he has a knife"
    c.save()
    result = triage_call(c)
    assert TriageResult.objects.filter(call=c).count() == 1
    assert result.recommendation == "police_only" and result.fired == ["X1"]
    assert Call.objects.get(pk=c.pk).triage.explanation == result.explanation


def test_frequent_caller_flag_reaches_the_rules(ride):
    install_protocol(ride, "ride-along")
    c = call(1, ride, call_type="MENTAL PATIENT", priority=5, narrative="", frequent_caller=True)
    result = triage_call(c)
    assert result.fired == ["R3"] and "from a frequent caller" in result.explanation


def test_bulk_triage_matches_one_by_one_and_leaves_unchanged_results(
    ride, django_assert_max_num_queries
):
    install_protocol(ride, "ride-along")
    install_protocol(None, "default")
    texts = ["wants to die", "has a gun", "not breathing", "", "lonely, wants to talk"]
    calls = [
        call(i, ride if i % 2 else None, at=AFTERNOON + timedelta(hours=i), narrative=text)
        for i, text in enumerate(texts * 3)
    ]
    # A bounded number of queries, not one per call (the reasons: found, created, found again).
    with django_assert_max_num_queries(14):
        assert triage_calls(Call.objects.all()).total() == len(calls)
    bulk = {r.call_id: (r.version_id, r.recommendation, r.fired, r.explanation)
            for r in TriageResult.objects.all()}  # fmt: skip
    stamps = dict(TriageResult.objects.values_list("call_id", "triaged_at"))
    for c in calls:
        one = triage_call(c, at=stamps[c.pk])
        assert bulk[c.pk] == (one.version_id, one.recommendation, one.fired, one.explanation)
    later = AFTERNOON + timedelta(days=30)
    assert triage_calls(calls, at=later).total() == len(calls)  # model instances work too
    assert dict(TriageResult.objects.values_list("call_id", "triaged_at")) == stamps


def test_editing_makes_a_new_version_and_old_results_keep_theirs(ride, django_user_model):
    manager = django_user_model.objects.create(username="manager")
    protocol = install_protocol(ride, "ride-along")
    first = triage_call(call(1, ride, narrative="he just wants to die, no gun"))
    document = protocols.load("ride-along")
    document["rules"][0]["recommend"] = "civilian_team"
    v2 = save_version(protocol, document, user=manager, note="Civilian team for R1.")
    assert v2.number == 2 and v2.created_by == manager and v2.note == "Civilian team for R1."
    assert protocol_for(ride)[0] == v2
    second = triage_call(call(2, ride, narrative="he just wants to die, no gun"))
    assert second.version == v2 and second.recommendation == "civilian_team"
    assert "v2)." in second.explanation
    first.refresh_from_db()
    assert first.version.number == 1 and first.recommendation == "co_responder"
    assert ProtocolVersion.objects.get(protocol=protocol, number=1).document == (
        protocols.load("ride-along")
    )
    event = AuditEvent.objects.get(action="protocol_version", actor=manager)
    assert event.actor == manager and event.object_id == str(protocol.pk)
    assert "v2 saved: Civilian team for R1." in event.detail and verify_chain() == []


def test_a_bad_document_saves_nothing(ride):
    protocol = install_protocol(ride, "ride-along")
    with pytest.raises(ProtocolError) as error:
        save_version(protocol, {"name": "x", "default": "nope"}, user=None, note="")
    assert "default: 'nope' is not a recommendation" in error.value.problems[0]
    assert (
        protocol.versions.count() == 1
        and not AuditEvent.objects.filter(action="protocol_version", detail__contains="v2").exists()
    )


def test_install_is_idempotent_and_keeps_later_versions(ride):
    protocol = install_protocol(ride, "ride-along")
    save_version(protocol, protocols.load("star") | {"name": "Mine"}, user=None, note="Mine.")
    again = install_protocol(ride, "ride-along")
    assert again == protocol and protocol.versions.count() == 2
    assert TriageProtocol.objects.filter(program=ride, is_active=True).count() == 1


def test_calls_decided_alike_share_one_stored_reason(ride):
    install_protocol(ride, "ride-along")
    alike = [call(i, ride, at=AFTERNOON + timedelta(minutes=i)) for i in range(3)]
    other = call(9, ride, narrative="has a gun")
    triage_calls(Call.objects.all())
    reason = dict(TriageResult.objects.values_list("call_id", "reason_id"))
    assert len({reason[c.pk] for c in alike}) == 1 and reason[other.pk] != reason[alike[0].pk]
    assert TriageReason.objects.count() == 2
    one = triage_call(alike[0])  # one at a time finds the stored reason
    assert one.reason_id == reason[alike[0].pk] and TriageReason.objects.count() == 2
    assert one.fired == ["R1"] and "rule R1" in one.explanation


def test_an_idempotency_key_is_unique_where_given(db):
    for n in range(3):
        call(n)  # imported and typed calls have no key: any number of them
    call(10, idempotency_key="7:retry-me")
    with pytest.raises(IntegrityError), transaction.atomic():
        call(11, idempotency_key="7:retry-me")
    assert Call.objects.filter(idempotency_key__isnull=True).count() == 3


BEFORE, AFTER = (
    ("dispatch", "0003_call_without_pattern_indexes"),
    ("dispatch", "0004_triage_reasons"),
)


@pytest.mark.django_db(transaction=True)
def test_the_reasons_migration_keeps_every_result_and_reverses():
    """Stored results keep their rules and sentence through 0004, sharing one reason each, and
    get them back when it is reversed."""
    stored = {"a": (["R1"], "one"), "b": (["R1"], "one"), "c": ([], "two")}
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE])
        apps = executor.loader.project_state([BEFORE]).apps
        old_call = apps.get_model("dispatch", "Call")
        old_result = apps.get_model("dispatch", "TriageResult")
        for external_id, (fired, text) in stored.items():
            c = old_call.objects.create(
                external_id=external_id, received_at=AFTERNOON, source="911", call_type="X"
            )
            old_result.objects.create(
                call=c, recommendation="ems", fired=fired, explanation=text, triaged_at=AFTERNOON
            )

        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        apps = executor.loader.project_state([AFTER]).apps
        result = apps.get_model("dispatch", "TriageResult")
        rows = result.objects.values_list(
            "call__external_id", "reason__fired", "reason__explanation", "recommendation"
        )
        assert {r[0]: (r[1], r[2]) for r in rows} == stored and {r[3] for r in rows} == {"ems"}
        assert apps.get_model("dispatch", "TriageReason").objects.count() == 2

        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        apps = executor.loader.project_state([BEFORE]).apps
        rows = apps.get_model("dispatch", "TriageResult").objects.values_list(
            "call__external_id", "fired", "explanation"
        )
        assert {r[0]: (r[1], r[2]) for r in rows} == stored
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
