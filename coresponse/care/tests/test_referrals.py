"""The closed loop across two agencies: the clinic refers, the receiving provider accepts,
schedules and closes in its own inbox, each step stamped, attributed and audited; the clinic
sees where it stands; a referral that waits too long at a step is overdue."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from coresponse.care import selectors, services
from coresponse.care.models import Referral, ReferralStatus, ReferralStep
from coresponse.dispatch.selectors import AsOf
from coresponse.privacy.models import AuditEvent

R = ReferralStatus


def body(response) -> str:
    return response.content.decode()


def test_a_referral_goes_round_the_loop_between_the_clinic_and_the_provider(world, login):
    clinician, provider = world.users["clinician"], world.users["provider"]
    ann = world.persons["ann"]
    recovery = world.resources["Cedar Recovery"]  # received by Cedar Peer Network
    sent_at = timezone.now() - timedelta(hours=5)
    referral = services.send_referral(
        clinician, ann, resource=recovery, encounter=world.encounters["ann"],
        note="Wants to start buprenorphine this week", at=sent_at,
    )  # fmt: skip
    assert referral.to_agency == world.agencies["cedar-peers"]
    assert referral.service_type == recovery.service_type and referral.provider == recovery.name

    # The provider's inbox has it; the clinic's staff at other agencies do not.
    assert referral in selectors.inbox(provider)
    assert referral not in selectors.inbox(world.users["officer"])
    client = login("provider")
    inbox = body(client.get(reverse("care:referral_inbox")))
    assert "Cedar Recovery" not in inbox or "Substance-use treatment" in inbox
    assert "Cedar Behavioral Health Center" in inbox  # who it is from

    steps = [
        (R.RECEIVED, {}),
        (R.ACCEPTED, {"note": "Intake slot found"}),
        (R.SCHEDULED, {"appointment_at": timezone.now() + timedelta(days=2)}),
        (R.COMPLETED, {"note": "Started treatment"}),
    ]
    for number, (status, extra) in enumerate(steps):
        at = sent_at + timedelta(hours=number + 1)
        response = client.post(
            reverse("care:referral_detail", args=[referral.pk]),
            {
                "status": status,
                "note": extra.get("note", ""),
                "appointment_at": extra["appointment_at"].strftime("%Y-%m-%dT%H:%M")
                if "appointment_at" in extra
                else "",
            },
        )
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.status == status, (
            status,
            [str(m) for m in response.wsgi_request._messages],
        )
        assert at <= timezone.now()
    referral.refresh_from_db()
    for stamp in ("received_at", "accepted_at", "scheduled_at", "completed_at", "closed_at"):
        assert getattr(referral, stamp) is not None, stamp
    assert referral.sent_at <= referral.received_at <= referral.accepted_at
    assert referral.accepted_at <= referral.scheduled_at <= referral.completed_at
    assert (
        referral.closed_at == referral.completed_at and referral.outcome_note == "Started treatment"
    )
    assert referral.appointment_at is not None
    logged = list(referral.steps.order_by("at", "id").values_list("status", "by__username"))
    assert logged == [
        ("sent", "clinician"),
        ("received", "provider"),
        ("accepted", "provider"),
        ("scheduled", "provider"),
        ("completed", "provider"),
    ]
    assert set(
        referral.steps.exclude(status="sent").values_list("by_agency__external_id", flat=True)
    ) == {"cedar-peers"}
    audited = AuditEvent.objects.filter(object_type="referral", object_id=str(referral.pk))
    assert audited.count() == 5 and referral.person_id in audited.last().person_ids

    # The clinic sees the loop closed; the page shows every step and its agency.
    detail = body(login("clinician").get(reverse("care:referral_detail", args=[referral.pk])))
    assert (
        "Completed" in detail and "Cedar Peer Network" in detail and "Started treatment" in detail
    )
    # A closed referral moves no further.
    with pytest.raises(ValidationError):
        services.move_referral(provider, referral, R.CLOSED)


def test_a_skipped_step_is_implied_and_scheduling_needs_an_appointment(world):
    provider = world.users["provider"]
    referral = world.referrals["R-su"]  # sent, to the provider
    with pytest.raises(ValidationError) as refused:
        services.move_referral(provider, referral, R.SCHEDULED)
    assert "appointment" in str(refused.value)
    when = timezone.now() + timedelta(days=3)
    services.move_referral(provider, referral, R.SCHEDULED, appointment_at=when)
    referral.refresh_from_db()
    assert referral.received_at == referral.accepted_at == referral.scheduled_at
    assert referral.appointment_at == when


def test_who_may_move_a_referral(world):
    referral = world.referrals["R-su"]
    # An officer of another agency, a paramedic: not the provider, not the sending care team.
    for username in ("officer", "paramedic", "dispatcher"):
        with pytest.raises(PermissionDenied):
            services.move_referral(world.users[username], referral, R.RECEIVED)
    # The clinic's case manager may record what the provider said on the phone.
    services.move_referral(world.users["casemanager"], referral, R.RECEIVED, note="By phone")
    step = ReferralStep.objects.filter(referral=referral, status=R.RECEIVED).get()
    assert step.by == world.users["casemanager"] and step.by_agency.external_id == "cedar-bhc"


def test_out_of_order_moves_are_refused_in_words(world):
    referral = world.referrals["R-done"]
    with pytest.raises(ValidationError) as refused:
        services.move_referral(world.users["clinician"], referral, R.ACCEPTED)
    assert "completed" in str(refused.value)
    with pytest.raises(ValidationError):
        services.move_referral(world.users["clinician"], world.referrals["R-su"], "lost")


def test_a_referral_nobody_involved_may_see_answers_404_like_a_missing_one(world, login):
    client = login("officer")  # riverton-pd: ann's record is the clinic's
    hidden = client.get(reverse("care:referral_detail", args=[world.referrals["R-su"].pk]))
    missing = client.get(reverse("care:referral_detail", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_the_provider_sees_who_only_as_the_policy_allows(world, login):
    from coresponse.privacy.models import ConsentKind, Purpose
    from coresponse.privacy.services import record_consent

    client = login("provider")
    url = reverse("care:referral_detail", args=[world.referrals["R-su"].pk])
    page = body(client.get(url))
    assert (
        "Ann Alder" not in page and "Person record held by Cedar Behavioral Health Center" in page
    )
    assert "A consent naming your agency makes it visible" in page
    record_consent(
        person=world.persons["ann"],
        categories=["identity", "contact_plan", "substance_use"],
        purposes=[Purpose.TREATMENT, Purpose.CARE_COORDINATION],
        signed_at=timezone.now() - timedelta(minutes=5),
        by=world.users["clinician"],
        kind=ConsentKind.PART2,
        to_agency=world.agencies["cedar-peers"],
        expires_at=timezone.now() + timedelta(days=365),
        signed_by="Ann Alder",
    )
    page = body(client.get(url))
    assert "Ann Alder" in page and "555-0100" in page  # name and the phone to call her


def test_overdue_referrals_by_step(world, settings):
    at = AsOf(timezone.now(), False)
    ann = world.persons["ann"]
    clinician = world.users["clinician"]
    fresh = services.send_referral(clinician, ann, resource=world.resources["Harbor House"])
    stale = services.send_referral(
        clinician, ann, resource=world.resources["Harbor House"], at=at.now - timedelta(days=3)
    )
    overdue = set(selectors.overdue_referrals(clinician, at.now))
    assert stale in overdue and fresh not in overdue
    assert selectors.due_by(stale) == stale.sent_at + timedelta(days=2)
    settings.CORESPONSE_REFERRAL_OVERDUE_DAYS = {"sent": 5}
    assert stale not in set(selectors.overdue_referrals(clinician, at.now))


def test_an_officer_does_not_see_or_make_a_part2_referral(world):
    officer = world.users["officer"]
    pete = world.persons["pete"]  # riverton-pd's own record
    with pytest.raises(PermissionDenied):
        services.send_referral(officer, pete, resource=world.resources["Cedar Recovery"])
    shelter = services.send_referral(officer, pete, resource=world.resources["Harbor House"])
    visible = set(selectors.visible_referrals(officer))
    assert shelter in visible and world.referrals["R-su"] not in visible
    assert Referral.objects.filter(person=pete, service_type="substance_use_treatment").count() == 0


def test_the_inbox_puts_new_referrals_first(world):
    provider, clinician = world.users["provider"], world.users["clinician"]
    recovery = world.resources["Cedar Recovery"]
    old = services.send_referral(
        clinician, world.persons["ann"], resource=recovery, at=timezone.now() - timedelta(days=60)
    )
    services.move_referral(provider, old, R.ACCEPTED)
    new = services.send_referral(clinician, world.persons["ann"], resource=recovery)
    rows = list(selectors.inbox(provider))
    assert rows.index(new) < rows.index(old)
    assert all(r.status == R.SENT for r in rows[: rows.index(new) + 1])
