"""Taking a call: phone numbers, the frequent-caller flag, readable ids, triage and the audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from coresponse.dispatch.models import Call
from coresponse.dispatch.services import intake
from coresponse.dispatch.tests.conftest import LAST
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import verify_chain


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("(303) 555-0142", "3035550142"),
        ("+1 303 555 0142", "3035550142"),
        ("1-303-555-0142", "3035550142"),
        ("303.555.0142", "3035550142"),
        ("+44 20 7946 0958", "442079460958"),
        ("911", "911"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_phone(text, digits):
    assert intake.normalize_phone(text) == digits


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("303-555-0142", ""),
        ("", ""),
        ("303-555-0142 ext 2", "Use digits only"),
        ("call back later", "Use digits only"),
        ("12", "3 to 15 digits"),
        ("1234567890123456", "3 to 15 digits"),
    ],
)
def test_phone_problem(text, problem):
    found = intake.phone_problem(text)
    assert (problem in found) if problem else found == ""


def _calls_from(phone, *ages, prefix="H"):
    for i, age in enumerate(ages):
        Call.objects.create(
            external_id=f"{prefix}-{i}",
            received_at=LAST - age,
            source="911",
            call_type="Welfare check",
            caller_phone=phone,
        )


def test_frequent_caller_counts_this_call_within_the_window(db, settings):
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 3
    settings.CORESPONSE_FREQUENT_CALLER_DAYS = 90
    assert intake.frequent_caller_threshold() == (3, 90)
    phone = "3035550142"
    _calls_from(phone, timedelta(days=1), timedelta(days=91))  # one inside, one outside
    assert not intake.is_frequent_caller("(303) 555-0142", LAST)  # 1 earlier + this = 2
    _calls_from(phone, timedelta(days=89, hours=23), prefix="I")
    assert intake.earlier_calls(phone, LAST) == 2
    assert intake.is_frequent_caller("+1 303 555 0142", LAST)  # 2 earlier + this = 3
    # Calls after the moment do not count (only the 91-day-old one is before this one)...
    assert intake.earlier_calls(phone, LAST - timedelta(days=89, hours=23, minutes=30)) == 1
    assert not intake.is_frequent_caller(phone, LAST - timedelta(days=89, hours=23, minutes=30))
    # ...nor do other numbers or no number.
    assert not intake.is_frequent_caller("3035550199", LAST)
    assert not intake.is_frequent_caller("", LAST)
    # A stored call is not counted twice when it is the one being checked.
    stored = Call.objects.get(external_id="H-0")
    assert not intake.is_frequent_caller(phone, LAST, exclude_call_id=stored.pk)


def test_threshold_comes_from_settings(db, settings):
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 2
    settings.CORESPONSE_FREQUENT_CALLER_DAYS = 7
    _calls_from("5550001", timedelta(days=3))
    assert intake.is_frequent_caller("5550001", LAST)
    settings.CORESPONSE_FREQUENT_CALLER_DAYS = 2
    assert not intake.is_frequent_caller("5550001", LAST)


def test_create_call_normalises_flags_numbers_triages_and_audits(county, settings):
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 2
    dispatcher = county["users"]["dispatcher"]
    _calls_from("3035550142", timedelta(days=10))
    call = intake.create_call(
        user=dispatcher,
        received_at=LAST,
        source="911",
        call_type="  Welfare check ",
        priority=2,
        narrative="Neighbour worried, no weapon seen",
        caller_name="Ann",
        caller_phone="+1 (303) 555-0142",
        program=county["programs"]["ride"],
    )
    call.refresh_from_db()
    assert call.external_id == "C-20261031-0001"
    assert call.caller_phone == "3035550142" and call.call_type == "Welfare check"
    assert call.frequent_caller and call.created_by == dispatcher
    assert call.triage.recommendation and call.triage.explanation
    event = AuditEvent.objects.filter(action="create", object_type="call").get()
    assert event.object_id == str(call.pk) and event.actor == dispatcher
    assert event.categories == ["identity"] and "C-20261031-0001" in event.detail
    assert "3035550142" not in event.detail and "Ann" not in event.detail
    assert verify_chain() == []


def test_ids_are_a_sequence_per_local_day(county):
    user = county["users"]["dispatcher"]

    def take(at):
        return intake.create_call(user=user, received_at=at, source="911", call_type="Check")

    assert take(LAST).external_id == "C-20261031-0001"
    assert take(LAST).external_id == "C-20261031-0002"
    # 23:30 in Denver is already Nov 1 in UTC: the day is the program's local day.
    late = LAST.replace(hour=23, minute=30)
    assert take(late).external_id == "C-20261031-0003"
    assert take(LAST + timedelta(days=1)).external_id == "C-20261101-0001"
    Call.objects.create(
        external_id="C-20261031-9999", received_at=LAST, source="911", call_type="Check"
    )
    assert take(LAST).external_id == "C-20261031-10000"
    assert take(LAST).external_id == "C-20261031-10001"  # five digits still sort after four


def test_a_given_external_id_is_kept_and_must_be_new(county):
    user = county["users"]["dispatcher"]
    call = intake.create_call(user=user, external_id="CAD-77", source="911", call_type="Check")
    assert call.external_id == "CAD-77"
    with pytest.raises(ValidationError) as error:
        intake.create_call(user=user, external_id="CAD-77", source="911", call_type="Check")
    assert "external_id" in error.value.message_dict
    assert Call.objects.filter(external_id="CAD-77").count() == 1


def test_bad_values_are_refused_and_nothing_is_written(county):
    user = county["users"]["dispatcher"]
    before = Call.objects.count(), AuditEvent.objects.count()
    for bad in (
        {"priority": 7},
        {"source": "fax"},
        {"latitude": 123.0},
        {"caller_phone": "ext 12"},
        {"call_type": "   "},
    ):
        fields = {"source": "911", "call_type": "Check", **bad}
        with pytest.raises(ValidationError) as error:
            intake.create_call(user=user, **fields)
        assert set(bad) & set(error.value.message_dict), bad
    with pytest.raises(TypeError, match="not a call intake field: frequent_caller"):
        intake.create_call(user=user, source="911", call_type="Check", frequent_caller=True)
    assert (Call.objects.count(), AuditEvent.objects.count()) == before


def test_update_retriages_only_when_triage_inputs_change(county):
    user = county["users"]["dispatcher"]
    call = intake.create_call(
        user=user, received_at=LAST, source="911", call_type="Noise", priority=4
    )
    first = call.triage
    intake.update_call(call, user=user, address="9 Birch Rd")
    call.refresh_from_db()
    assert call.address == "9 Birch Rd"
    assert call.triage.triaged_at == first.triaged_at  # an address is not a triage input
    intake.update_call(
        call, user=user, call_type="Suicidal subject", narrative="says he took pills", priority=1
    )
    call.refresh_from_db()
    assert call.triage.triaged_at >= first.triaged_at and call.priority == 1
    updates = AuditEvent.objects.filter(action="update", object_id=str(call.pk))
    assert [e.detail for e in updates.order_by("id")] == [
        f"call {call.external_id}: changed address",
        f"call {call.external_id}: changed call_type, narrative, priority; "
        f"re-triaged {call.triage.recommendation}",
    ]
    # No change, no write.
    intake.update_call(call, user=user, priority=1)
    assert updates.count() == 2
    with pytest.raises(TypeError):
        intake.update_call(call, user=user, external_id="X")


def test_update_of_the_number_recomputes_the_flag(county, settings):
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 2
    user = county["users"]["dispatcher"]
    _calls_from("5550100", timedelta(days=5))
    call = intake.create_call(user=user, received_at=LAST, source="911", call_type="Check")
    assert not call.frequent_caller
    call = intake.update_call(call, user=user, caller_phone="555-0100")
    assert call.frequent_caller and call.caller_phone == "5550100"
    call = intake.update_call(call, user=user, caller_phone="")
    assert not call.frequent_caller


def test_create_call_once_takes_a_keyed_call_once(county):
    user = county["users"]["dispatcher"]
    first, created = intake.create_call_once("k1", user=user, source="911", call_type="Check")
    again, created_again = intake.create_call_once("k1", user=user, source="911", call_type="X")
    assert created and not created_again and again.pk == first.pk
    assert Call.objects.filter(idempotency_key="k1").count() == 1
