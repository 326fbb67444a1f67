"""Triage with the database: a call's protocol, stored results, bulk triage, versioning and the
audit of a change."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coresponse.agencies.models import Agency, Program
from coresponse.dispatch.models import Call, ProtocolVersion, TriageProtocol, TriageResult
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
    with django_assert_max_num_queries(12):
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
