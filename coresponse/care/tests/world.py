"""The test county with care around it: `build_world` (agencies, programs, persons, calls,
encounters, one user per role) plus a resource directory whose entries have hours,
eligibility, capacity and coordinates, a community provider (Cedar Peer Network) that receives
referrals in its inbox with a case manager of its own (`provider`), referrals at every step,
follow-ups overdue, due and done, an enrollment, and a safety plan the person shares in part
with responders."""

from __future__ import annotations

from datetime import timedelta

from coresponse.agencies.models import Membership, Role, User
from coresponse.care.models import (
    Enrollment,
    FollowUp,
    Referral,
    ReferralStatus,
    ReferralStep,
    Resource,
    SafetyPlan,
    ServiceType,
)
from coresponse.field.tests.world import LAST_DAY, World, build_world

WEEKDAYS = [0, 1, 2, 3, 4]
# name, service, tags, ages, hours, 24/7, capacity, open today, lat, lon, provider agency
RESOURCES = (
    ("Pine Crisis Stabilization", ServiceType.CRISIS_STABILIZATION, ["adults", "walk_in"],
     (18, None), [], True, 16, 4, 40.5682, -105.0578, None),
    ("Cedar Recovery", ServiceType.SUBSTANCE_USE_TREATMENT, ["adults", "medicaid"], (18, None),
     [{"days": WEEKDAYS, "open": "07:00", "close": "19:00"}], False, 40, 6, 40.5442, -105.0771,
     "cedar-peers"),
    ("Harbor House", ServiceType.SHELTER, ["adults", "no_id"], (18, None),
     [{"days": list(range(7)), "open": "16:00", "close": "09:00"}], False, 120, 11, 40.5912,
     -105.0731, None),
    ("Willow Youth Services", ServiceType.YOUTH, ["youth", "families"], (10, 21),
     [{"days": WEEKDAYS, "open": "09:00", "close": "19:00"}], False, None, None, 40.5771,
     -105.1021, None),
    ("Veterans Clinic", ServiceType.VETERANS, ["veterans"], (None, None),
     [{"days": WEEKDAYS, "open": "08:00", "close": "16:30"}], False, None, None, 40.5621,
     -105.0411, None),
    ("Peer Network Drop-in", ServiceType.PEER_SUPPORT, ["adults", "walk_in"], (None, None),
     [{"days": list(range(7)), "open": "10:00", "close": "20:00"}], False, None, None, None, None,
     "cedar-peers"),
)  # fmt: skip


def build_care_world(*, usable_passwords: bool = False) -> World:
    w = build_world(usable_passwords=usable_passwords)
    resources = {}
    for (name, service, tags, (low, high), hours, always, capacity, today, lat, lon,
         provider) in RESOURCES:  # fmt: skip
        resources[name] = Resource.objects.create(
            external_id=name.lower().replace(" ", "-"),
            name=name,
            service_type=service,
            eligibility=", ".join(tags),
            eligibility_tags=tags,
            min_age=low,
            max_age=high,
            opening_hours=hours,
            open_24_7=always,
            hours="24/7" if always else "see the schedule",
            capacity=capacity,
            available_today=today,
            latitude=lat,
            longitude=lon,
            phone="(970) 555-0199",
            provider_agency=w.agencies[provider] if provider else None,
        )
    provider = User.objects.create(
        username="provider",
        first_name="Rosa",
        last_name="Intake",
        password=w.users["clinician"].password,
    )
    Membership.objects.create(
        user=provider, agency=w.agencies["cedar-peers"], role=Role.CASE_MANAGER
    )
    w.users["provider"] = provider
    w.resources = resources
    ann, pete = w.persons["ann"], w.persons["pete"]
    sent = LAST_DAY - timedelta(days=4)
    referrals = (
        # id, person, resource (or service, provider), status
        ("R-su", ann, "Cedar Recovery", ReferralStatus.SENT),
        ("R-peer", ann, "Peer Network Drop-in", ReferralStatus.ACCEPTED),
        ("R-shelter", ann, "Harbor House", ReferralStatus.SCHEDULED),
        ("R-done", ann, "Pine Crisis Stabilization", ReferralStatus.COMPLETED),
        ("R-pd", pete, "Harbor House", ReferralStatus.RECEIVED),
    )
    w.referrals = {}
    for ext, person, name, status in referrals:
        resource = resources[name]
        referral = Referral.objects.create(
            external_id=ext,
            encounter=w.encounters["ann" if person == ann else "pete"],
            person=person,
            service_type=resource.service_type,
            provider=resource.name,
            resource=resource,
            to_agency=resource.provider_agency,
            status=status,
            sent_at=sent,
            received_at=sent + timedelta(hours=3) if status != ReferralStatus.SENT else None,
            accepted_at=sent + timedelta(days=1)
            if status in (ReferralStatus.ACCEPTED, ReferralStatus.SCHEDULED, "completed")
            else None,
            scheduled_at=sent + timedelta(days=2) if status == ReferralStatus.SCHEDULED else None,
            appointment_at=LAST_DAY + timedelta(days=2)
            if status == ReferralStatus.SCHEDULED
            else None,
            completed_at=sent + timedelta(days=3) if status == ReferralStatus.COMPLETED else None,
            closed_at=sent + timedelta(days=3) if status == ReferralStatus.COMPLETED else None,
        )
        ReferralStep.objects.create(referral=referral, status=ReferralStatus.SENT, at=sent)
        w.referrals[ext] = referral
    FollowUp.objects.create(
        external_id="F-overdue", encounter=w.encounters["ann"], person=ann,
        due_at=LAST_DAY - timedelta(days=1),
    )  # fmt: skip
    FollowUp.objects.create(
        external_id="F-due", encounter=w.encounters["ann"], person=ann,
        due_at=LAST_DAY + timedelta(days=2), assigned_to=w.users["casemanager"],
    )  # fmt: skip
    FollowUp.objects.create(
        external_id="F-done", encounter=w.encounters["ann"], person=ann,
        due_at=LAST_DAY - timedelta(days=5), completed_at=LAST_DAY - timedelta(days=5),
        attempts=2, outcome="connected",
    )  # fmt: skip
    FollowUp.objects.create(external_id="F-pd", person=pete, due_at=LAST_DAY - timedelta(days=1))
    Enrollment.objects.create(
        external_id="N-psych", person=ann, provider="Cedar Psychiatry",
        service_type=ServiceType.PSYCHIATRY, start_date=(LAST_DAY - timedelta(days=20)).date(),
    )  # fmt: skip
    SafetyPlan.objects.create(
        person=w.persons["ann"],
        sections={
            "warning_signs": "Not sleeping; stops answering the phone",
            "internal_coping": "Walks by the river",
            "reasons_for_living": "Her daughter",
        },
        shared_sections=["warning_signs"],
        share_with_responders=True,
        responder_highlights="Calms down with quiet voices\nPrefers a female clinician",
        de_escalation_tips="Sit down, speak slowly\nDo not crowd the doorway",
        contact_name="Dana Cruz",
        contact_role="Case manager",
        contact_phone="(970) 555-0142",
        updated_at=LAST_DAY - timedelta(days=3),
    )
    return w
