"""Writes of care after the crisis: the field app's records with their referrals and follow-up,
the referral loop, follow-up attempts, safety plans, enrollments, outreach, the directory and
the reminders. One function per use case; each checks who may, stamps its time, keeps its
invariants and writes to the audit chain.

Refusals: `PermissionDenied` when the user may not; `ValidationError` (a message a person can
act on, by field where it has one) when the request is wrong.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from coresponse.agencies.models import Agency, Membership, Program, Role, User
from coresponse.care.models import (
    REFERRAL_FINAL_STATUSES,
    REFERRAL_STAMPS,
    ContactMethod,
    Enrollment,
    FollowUp,
    FollowUpAttempt,
    FollowUpOutcome,
    OutreachStatus,
    OutreachVisit,
    Referral,
    ReferralStatus,
    ReferralStep,
    Reminder,
    ReminderKind,
    Resource,
    SafetyPlan,
    ServiceType,
)
from coresponse.care.selectors import (
    is_recipient,
    is_sender,
    next_steps,
    overdue_q,
    service_category,
    visit_for,
)
from coresponse.dispatch.models import Assignment
from coresponse.dispatch.serializers import EARLIEST_YEAR
from coresponse.field import services as field_services
from coresponse.field.models import Encounter, EncounterKind
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction, Consent, ConsentKind, Purpose, RecipientClass
from coresponse.privacy.selectors import agencies_allowing, memberships
from coresponse.privacy.services import record, record_consent

C = DataCategory
R = ReferralStatus
CARE_ROLES = frozenset({Role.CLINICIAN, Role.CASE_MANAGER, Role.PEER_SPECIALIST})
SIGNATURE_LIMIT = 300_000  # bytes of a signature image
PNG = b"\x89PNG\r\n\x1a\n"
FOLLOW_UP_HORIZON = timedelta(days=1827)  # later than five years on is a typo
CONSENT_HORIZON = timedelta(days=3653)  # a dated consent ends within ten years


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _roles(user) -> set[str]:
    return {m.role for m in memberships(user)}


def _agency_of(user, agency_id: int | None) -> Agency | None:
    for m in memberships(user):
        if m.agency_id == agency_id:
            return m.agency
    return None


def may_write(user, person: Person, category: str) -> bool:
    """Writing care data of a category needs the policy's leave to see that category of the
    person's record (an officer does not make a detox referral)."""
    return person.agency_id in agencies_allowing(user, category) and person.agency_id in (
        agencies_allowing(user, C.IDENTITY)
    )


def _key(prefix: str, client_id) -> str:
    """A device-made item's external id, the same on every retry (its UUID decides it)."""
    try:
        return f"{prefix}-{uuid.UUID(str(client_id)).hex[:16]}"
    except ValueError:
        raise ValidationError({"client_id": [f"{client_id!r} is not a UUID"]}) from None


# --- referrals ------------------------------------------------------------------------------------


def send_referral(
    user,
    person: Person,
    *,
    resource: Resource | None = None,
    service_type: str = "",
    provider: str = "",
    encounter: Encounter | None = None,
    note: str = "",
    external_id: str = "",
    at: datetime | None = None,
) -> Referral:
    """Refer the person to a directory entry (its provider agency receives it in its inbox) or
    to a provider named in words."""
    at = _now(at)
    if resource is not None:
        service_type, provider = resource.service_type, resource.name
    if service_type not in ServiceType.values:
        raise ValidationError({"service_type": ["choose the kind of service"]})
    if not provider.strip():
        raise ValidationError({"provider": ["name the provider"]})
    category = service_category(service_type)
    if not may_write(user, person, category):
        raise PermissionDenied(
            f"Your role may not make a {ServiceType(service_type).label.lower()} referral "
            f"({C(category).label} data) for this person."
        )
    if external_id:
        existing = Referral.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing
    referral = Referral.objects.create(
        external_id=external_id or f"R-{uuid.uuid4().hex[:16]}",
        encounter=encounter,
        person=person,
        service_type=service_type,
        provider=provider.strip()[:200],
        status=R.SENT,
        sent_at=at,
        resource=resource,
        to_agency=resource.provider_agency if resource else None,
        referred_by=user,
        note=note.strip()[:500],
    )
    ReferralStep.objects.create(
        referral=referral,
        status=R.SENT,
        at=at,
        by=user,
        by_agency=_agency_of(user, person.agency_id),
    )
    to = f" ({referral.to_agency.name} inbox)" if referral.to_agency_id else ""
    record(
        user,
        AuditAction.WRITE,
        "referral",
        referral.pk,
        [C.IDENTITY, category],
        f"referral {referral.external_id} sent to {referral.provider}{to}",
        person_ids=[person.pk],
    )
    return referral


def may_move_referral(user, referral: Referral) -> bool:
    """The receiving provider's staff; or, on the sending side, staff who may see the referral
    and work in care (recording what the provider said, e.g. on the phone)."""
    if is_recipient(user, referral):
        return True
    return bool(_roles(user) & (CARE_ROLES | {Role.SUPERVISOR})) and is_sender(user, referral)


@transaction.atomic
def move_referral(
    user,
    referral: Referral,
    status: str,
    *,
    note: str = "",
    appointment_at: datetime | None = None,
    at: datetime | None = None,
) -> Referral:
    """The next step of the loop: received, accepted, scheduled (with the appointment), then
    completed, no-show, declined or closed. Each step stamps its time and who made it; a step
    may skip ahead (a provider that accepts at once has received it too)."""
    at = _now(at)
    if status not in REFERRAL_STAMPS:
        raise ValidationError({"status": [f"{status!r} is not a step of a referral"]})
    if not may_move_referral(user, referral):
        raise PermissionDenied("Only the receiving provider, or the referring team, moves it.")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if status not in next_steps(referral):
        current = R(referral.status).label.lower()
        raise ValidationError(
            {"status": [f"the referral is {current}; it cannot become {R(status).label.lower()}"]}
        )
    if at < referral.sent_at:
        raise ValidationError({"at": ["a step cannot come before the referral was sent"]})
    order = [R.RECEIVED, R.ACCEPTED, R.SCHEDULED]
    if status in order:  # skipped steps are implied: stamped with the same time
        for earlier in order[: order.index(status) + 1]:
            stamp = REFERRAL_STAMPS[earlier]
            if getattr(referral, stamp) is None:
                setattr(referral, stamp, at)
    else:
        setattr(referral, REFERRAL_STAMPS[status], at)
    if status == R.SCHEDULED:
        if appointment_at is None:
            raise ValidationError({"appointment_at": ["give the appointment's date and time"]})
        referral.appointment_at = appointment_at
    if status in REFERRAL_FINAL_STATUSES:
        referral.closed_at = at
        referral.outcome_note = note.strip()[:300]
    referral.status = status
    referral.save()
    by_agency = referral.to_agency if is_recipient(user, referral) else None
    ReferralStep.objects.create(
        referral=referral,
        status=status,
        at=at,
        by=user,
        by_agency=by_agency or _agency_of(user, referral.person.agency_id),
        note=note.strip()[:300],
    )
    record(
        user,
        AuditAction.WRITE,
        "referral",
        referral.pk,
        [service_category(referral.service_type)],
        f"referral {referral.external_id}: {R(status).label.lower()}"
        + (f" by {by_agency.name}" if by_agency else ""),
        person_ids=[referral.person_id],
    )
    return referral


# --- follow-ups -----------------------------------------------------------------------------------


def create_followup(
    user,
    person: Person,
    *,
    due_at: datetime,
    encounter: Encounter | None = None,
    method: str = "",
    note: str = "",
    assigned_to=None,
    external_id: str = "",
    at: datetime | None = None,
) -> FollowUp:
    at = _now(at)
    if not may_write(user, person, C.CONTACT_PLAN):
        raise PermissionDenied("You may not plan a follow-up for this person.")
    if method and method not in ContactMethod.values:
        raise ValidationError({"method": [f"{method!r} is not phone, text or visit"]})
    if external_id:
        existing = FollowUp.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing
    followup = FollowUp.objects.create(
        external_id=external_id or f"F-{uuid.uuid4().hex[:16]}",
        encounter=encounter,
        person=person,
        due_at=due_at,
        method=method,
        note=note.strip()[:300],
        assigned_to=assigned_to,
        created_by=user,
    )
    record(
        user,
        AuditAction.WRITE,
        "followup",
        followup.pk,
        [C.IDENTITY, C.CONTACT_PLAN],
        f"follow-up {followup.external_id} due {timezone.localtime(due_at):%Y-%m-%d}",
        person_ids=[person.pk],
    )
    return followup


FINAL_RESULTS = (FollowUpOutcome.CONNECTED, FollowUpOutcome.DECLINED)


@transaction.atomic
def record_attempt(
    user,
    followup: FollowUp,
    *,
    method: str,
    result: str,
    note: str = "",
    close: bool | None = None,
    next_due: datetime | None = None,
    at: datetime | None = None,
) -> FollowUpAttempt:
    """One try to reach the person. Connected or declined completes the follow-up; other
    results leave it open (to try again, from `next_due` if given) unless `close` says the
    tries are over (its outcome is then this result)."""
    at = _now(at)
    followup = FollowUp.objects.select_for_update().select_related("person").get(pk=followup.pk)
    if followup.completed_at is not None:
        raise ValidationError({"followup": ["this follow-up is already complete"]})
    if not may_write(user, followup.person, C.CONTACT_PLAN):
        raise PermissionDenied("You may not work this follow-up.")
    if method not in ContactMethod.values:
        raise ValidationError({"method": ["choose phone, text or visit"]})
    if result not in FollowUpOutcome.values:
        raise ValidationError({"result": ["choose what came of it"]})
    if next_due is not None and next_due <= at:
        raise ValidationError({"next_due": ["the next try is after this one"]})
    attempt = FollowUpAttempt.objects.create(
        followup=followup, at=at, method=method, result=result, by=user, note=note.strip()[:300]
    )
    followup.attempts += 1
    followup.last_attempt_at = at
    done = result in FINAL_RESULTS if close is None else close
    if done:
        followup.completed_at = at
        followup.outcome = result
    elif next_due is not None:
        followup.due_at = next_due
    if followup.assigned_to_id is None:
        followup.assigned_to = user  # who tries first works it from now on
    followup.save()
    record(
        user,
        AuditAction.WRITE,
        "followup",
        followup.pk,
        [C.CONTACT_PLAN],
        f"follow-up {followup.external_id}: {ContactMethod(method).label.lower()}, "
        f"{FollowUpOutcome(result).label.lower()}" + ("; complete" if done else ""),
        person_ids=[followup.person_id],
    )
    return attempt


def assign_followup(user, followup: FollowUp, assignee) -> FollowUp:
    if not may_write(user, followup.person, C.CONTACT_PLAN):
        raise PermissionDenied("You may not assign this follow-up.")
    followup.assigned_to = assignee
    followup.save(update_fields=["assigned_to"])
    record(
        user,
        AuditAction.WRITE,
        "followup",
        followup.pk,
        [],
        f"follow-up {followup.external_id} assigned to "
        + (assignee.username if assignee else "nobody"),
        person_ids=[followup.person_id],
    )
    return followup


# --- safety plans ---------------------------------------------------------------------------------


@transaction.atomic
def save_safety_plan(
    user,
    person: Person,
    *,
    sections: dict[str, str],
    shared_sections=(),
    share_with_responders: bool = False,
    responder_highlights: str = "",
    de_escalation_tips: str = "",
    contact_name: str = "",
    contact_role: str = "",
    contact_phone: str = "",
    signed_by: str = "",
    encounter: Encounter | None = None,
    at: datetime | None = None,
) -> SafetyPlan:
    """Write the person's Stanley-Brown plan (made with them). Sharing with responders needs
    the person's agreement, recorded as their consent (contact plan, to crisis responders, for
    emergency response, a year) signed by them; without it nothing reaches the crisis alert."""
    at = _now(at)
    if not may_write(user, person, C.MENTAL_HEALTH):
        raise PermissionDenied("Only clinical staff of the agency that holds the record plan it.")
    unknown = set(sections) - set(SafetyPlan.SECTIONS)
    if unknown:
        raise ValidationError({"sections": [f"unknown sections: {', '.join(sorted(unknown))}"]})
    shared = [s for s in SafetyPlan.SECTIONS if s in set(shared_sections)]
    if share_with_responders and not signed_by.strip():
        raise ValidationError(
            {"signed_by": ["sharing with responders needs the person's agreement: their name"]}
        )
    plan = SafetyPlan.objects.filter(person=person).order_by("-created_at", "-id").first()
    if plan is None:
        plan = SafetyPlan(person=person, created_by=user, encounter=encounter)
    was_shared = plan.share_with_responders
    plan.sections = {k: v.strip() for k, v in sections.items() if v and v.strip()}
    plan.shared_sections = shared if share_with_responders else []
    plan.share_with_responders = share_with_responders
    plan.responder_highlights = responder_highlights.strip()
    plan.de_escalation_tips = de_escalation_tips.strip()
    plan.contact_name = contact_name.strip()[:200]
    plan.contact_role = contact_role.strip()[:100]
    plan.contact_phone = contact_phone.strip()[:40]
    plan.updated_at = at
    plan.updated_by = user
    plan.save()
    if share_with_responders and (not was_shared or plan.consent_id is None):
        consent = record_consent(
            person=person,
            categories=[C.CONTACT_PLAN],
            purposes=[Purpose.EMERGENCY_RESPONSE],
            signed_at=at,
            by=user,
            kind=ConsentKind.PROGRAM,
            to_class=RecipientClass.CRISIS_RESPONDERS,
            expires_at=at + timedelta(days=365),
            description="Safety-plan highlights, de-escalation tips and who to call, for "
            "responders to a crisis call",
            signed_by=signed_by.strip()[:200],
        )
        plan.consent_id = consent.pk
        plan.save(update_fields=["consent_id"])
    record(
        user,
        AuditAction.WRITE,
        "safety_plan",
        plan.pk,
        [C.MENTAL_HEALTH, C.CONTACT_PLAN] if share_with_responders else [C.MENTAL_HEALTH],
        "safety plan saved" + (", shared with responders" if share_with_responders else ""),
        person_ids=[person.pk],
    )
    return plan


# --- enrollments and outreach ---------------------------------------------------------------------


def enroll(
    user,
    person: Person,
    *,
    provider: str,
    service_type: str,
    start_date: date,
    external_id: str = "",
) -> Enrollment:
    """The person starts long-term care with a provider."""
    if service_type not in ServiceType.values:
        raise ValidationError({"service_type": ["choose the kind of care"]})
    if not provider.strip():
        raise ValidationError({"provider": ["name the provider"]})
    if not may_write(user, person, service_category(service_type)):
        raise PermissionDenied("You may not record this enrollment for this person.")
    enrollment = Enrollment.objects.create(
        external_id=external_id or f"EN-{uuid.uuid4().hex[:16]}",
        person=person,
        provider=provider.strip()[:200],
        service_type=service_type,
        start_date=start_date,
        created_by=user,
    )
    record(
        user,
        AuditAction.WRITE,
        "enrollment",
        enrollment.pk,
        [service_category(service_type)],
        f"enrolled with {enrollment.provider} from {start_date}",
        person_ids=[person.pk],
    )
    return enrollment


def end_enrollment(user, enrollment: Enrollment, *, end_date: date, reason: str = "") -> Enrollment:
    if not may_write(user, enrollment.person, service_category(enrollment.service_type)):
        raise PermissionDenied("You may not change this enrollment.")
    if end_date < enrollment.start_date:
        raise ValidationError({"end_date": ["an enrollment ends after it starts"]})
    enrollment.end_date = end_date
    enrollment.end_reason = reason.strip()[:200]
    enrollment.save(update_fields=["end_date", "end_reason"])
    record(
        user,
        AuditAction.WRITE,
        "enrollment",
        enrollment.pk,
        [service_category(enrollment.service_type)],
        f"enrollment with {enrollment.provider} ended {end_date}",
        person_ids=[enrollment.person_id],
    )
    return enrollment


def plan_outreach(
    user,
    person: Person,
    *,
    program: Program,
    scheduled_for: datetime,
    assigned_to=None,
    purpose: str = "",
) -> OutreachVisit:
    """A proactive visit (not a crisis) to someone who keeps coming back in crisis."""
    if not may_write(user, person, C.CONTACT_PLAN):
        raise PermissionDenied("You may not plan outreach for this person.")
    if not program.agencies.filter(pk__in=[m.agency_id for m in memberships(user)]).exists():
        raise PermissionDenied("Plan outreach in a program your agency works in.")
    visit = OutreachVisit.objects.create(
        person=person,
        program=program,
        scheduled_for=scheduled_for,
        assigned_to=assigned_to,
        purpose=purpose.strip()[:300],
        created_by=user,
    )
    record(
        user,
        AuditAction.WRITE,
        "outreach_visit",
        visit.pk,
        [C.CONTACT_PLAN],
        f"outreach visit planned for {timezone.localtime(scheduled_for):%Y-%m-%d %H:%M}",
        person_ids=[person.pk],
    )
    return visit


def close_outreach(user, visit: OutreachVisit, status: str) -> OutreachVisit:
    """A planned visit that will not happen (cancelled) or found nobody (missed)."""
    if status not in (OutreachStatus.MISSED, OutreachStatus.CANCELLED):
        raise ValidationError({"status": ["a visit is closed as not found or cancelled"]})
    visit = visit_for(user, visit.pk)
    visit.status = status
    visit.save(update_fields=["status"])
    record(
        user,
        AuditAction.WRITE,
        "outreach_visit",
        visit.pk,
        [C.CONTACT_PLAN],
        f"outreach visit {OutreachStatus(status).label.lower()}",
        person_ids=[visit.person_id],
    )
    return visit


# --- the directory --------------------------------------------------------------------------------


def update_capacity(user, resource: Resource, available: int, at: datetime | None = None):
    """The provider says how many beds or slots are open today."""
    if resource.provider_agency_id not in {m.agency_id for m in memberships(user)}:
        raise PermissionDenied("Only the provider's own staff update its capacity.")
    if available < 0 or (resource.capacity is not None and available > resource.capacity):
        limit = f" (its capacity is {resource.capacity})" if resource.capacity is not None else ""
        raise ValidationError({"available_today": [f"must be 0 or more{limit}"]})
    at = _now(at)
    resource.available_today = available
    resource.available_updated_at = at
    resource.updated_at = at
    resource.save(update_fields=["available_today", "available_updated_at", "updated_at"])
    record(user, AuditAction.WRITE, "resource", resource.pk, [], f"{available} open today")
    return resource


RESOURCE_FIELDS = (
    "name",
    "service_type",
    "description",
    "eligibility",
    "eligibility_tags",
    "min_age",
    "max_age",
    "hours",
    "opening_hours",
    "open_24_7",
    "capacity",
    "available_today",
    "address",
    "latitude",
    "longitude",
    "phone",
    "website",
    "languages",
    "provider_agency_id",
    "active",
)


@transaction.atomic
def upsert_resources(rows: list[dict], *, by=None, source: str = "") -> tuple[int, int]:
    """Write checked directory rows by their external id, all or nothing; returns (created,
    updated). Rows come checked (interop's resources reader)."""
    now = timezone.now()
    existing = {
        r.external_id: r
        for r in Resource.objects.filter(external_id__in=[row["external_id"] for row in rows])
    }
    created = updated = 0
    for row in rows:
        resource = existing.get(row["external_id"])
        if resource is None:
            resource = Resource(external_id=row["external_id"])
            created += 1
        else:
            updated += 1
        for name in RESOURCE_FIELDS:
            if name in row:
                setattr(resource, name, row[name])
        if "available_today" in row:
            resource.available_updated_at = now
        resource.updated_at = now
        resource.save()
    record(
        by,
        AuditAction.IMPORT,
        "resource",
        "",
        [],
        f"{source}: {created} directory entries added, {updated} updated",
    )
    return created, updated


# --- the field app's records ----------------------------------------------------------------------


@dataclass
class FieldResult:
    """What a field-app record produced: the encounter, and the care made with it."""

    encounter: Encounter
    created: bool = False
    merged: bool = False
    referrals: list[Referral] = field(default_factory=list)
    followup: FollowUp | None = None
    consent_id: int | None = None
    conflict: object = None


def _parse_when(value, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({name: ["is not an ISO 8601 time"]}) from None
    try:
        if moment.utcoffset() is None:
            moment = timezone.make_aware(moment)
        moment.astimezone(UTC)  # a time at the calendar's edge that no database can store
    except (ValueError, OverflowError):
        raise ValidationError({name: ["is at the edge of the calendar: check the date"]}) from None
    if moment.year < EARLIEST_YEAR:
        raise ValidationError({name: [f"is before {EARLIEST_YEAR}: check the date"]})
    return moment


def _due(spec, at: datetime) -> datetime:
    """A follow-up's due time: a date (at 10:00 local) or a time."""
    raw = spec.get("due")
    if not raw:
        raise ValidationError({"follow_up.due": ["give the day of the follow-up"]})
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        moment = _parse_when(raw, "follow_up.due")
    else:
        moment = timezone.make_aware(datetime.combine(day, time(10)))
    if timezone.localdate(moment) < timezone.localdate(at):
        raise ValidationError({"follow_up.due": ["is before the encounter"]})
    if moment - at > FOLLOW_UP_HORIZON:
        raise ValidationError(
            {"follow_up.due": ["is more than five years after the encounter: check the date"]}
        )
    return moment


RECORD_KEYS = frozenset(
    {"client_id", "kind", "assignment", "program", "outreach_visit", "recorded_at", "person",
     "values", "referrals", "follow_up", "consent"}
)  # fmt: skip
EDIT_KEYS = frozenset(
    {"base_version", "recorded_at", "values", "referrals", "follow_up", "consent"}
)


def _known(data: dict, keys: frozenset) -> None:
    """A misspelt key is refused, never dropped silently (the calls API does the same)."""
    unknown = sorted(set(data) - keys)
    if unknown:
        raise ValidationError({key: ["Unknown field."] for key in unknown})


def _check_dict(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({name: ["is not an object"]})
    return value


def _values(data: dict) -> dict:
    return dict(_check_dict(data.get("values"), "values"))


@transaction.atomic
def submit_field_record(user, data: dict, *, at: datetime | None = None) -> FieldResult:
    """A new record from the field app: the encounter, its referrals (picked from the
    directory), its follow-up and the person's consent, in one transaction. Sending the same
    record again (its client_id) changes nothing and returns what the first one made."""
    at = _now(at)
    data = _check_dict(data, "record")
    _known(data, RECORD_KEYS)
    recorded_at = _parse_when(data.get("recorded_at"), "recorded_at") or at
    recorded_at = min(recorded_at, at)
    assignment = None
    if data.get("assignment") is not None:
        assignment = (
            Assignment.objects.select_related("team__program", "call")
            .filter(pk=_int(data["assignment"], "assignment"), team__members=user)
            .first()
        )
        if assignment is None:
            raise ValidationError({"assignment": ["is not an assignment of your team"]})
    program = None
    if data.get("program") is not None:
        program = Program.objects.filter(pk=_int(data["program"], "program")).first()
        if program is None:
            raise ValidationError({"program": ["no such program"]})
    visit = None
    if data.get("outreach_visit") is not None:
        try:
            visit = visit_for(user, _int(data["outreach_visit"], "outreach_visit"))
        except Http404:
            raise ValidationError(
                {"outreach_visit": ["is not an outreach visit planned for your teams"]}
            ) from None
        program = visit.program
    person = data.get("person")
    if visit is not None and not person:
        person = {"id": visit.person_id}
    kind = data.get("kind") or (EncounterKind.OUTREACH if visit else EncounterKind.CRISIS)
    saved = field_services.record_encounter(
        user,
        client_id=data.get("client_id"),
        changes=_values(data),
        kind=kind,
        assignment=assignment,
        program=program,
        person=person,
        at=recorded_at,
    )
    encounter = saved.encounter
    result = FieldResult(encounter, created=saved.created)
    _attach_care(user, encounter, data, recorded_at, result)
    if visit is not None and visit.status == OutreachStatus.PLANNED:
        visit.status = OutreachStatus.DONE
        visit.encounter = encounter
        visit.save(update_fields=["status", "encounter"])
    return result


@transaction.atomic
def update_field_record(
    user, encounter: Encounter, data: dict, *, at: datetime | None = None
) -> FieldResult:
    """A device's edits of a record it synced before (see field.services.update_encounter for
    the version rules). New referrals, a follow-up and a consent are added however the edit
    of the encounter's values goes: they are new items, not changes of old ones."""
    at = _now(at)
    data = _check_dict(data, "record")
    _known(data, EDIT_KEYS)
    base_version = data.get("base_version")
    if not isinstance(base_version, int) or isinstance(base_version, bool):
        raise ValidationError({"base_version": ["give the version the device edited"]})
    outcome = field_services.update_encounter(
        user, encounter, base_version=base_version, changes=_values(data), at=at
    )
    if isinstance(outcome, field_services.Conflicted):
        result = FieldResult(outcome.conflict.encounter, conflict=outcome.conflict)
    else:
        result = FieldResult(outcome.encounter, merged=outcome.merged)
    recorded_at = min(_parse_when(data.get("recorded_at"), "recorded_at") or at, at)
    _attach_care(user, result.encounter, data, recorded_at, result)
    return result


def _int(value, name: str) -> int:
    """An id sent by a device: a whole number a database key can hold (a bigger one would
    overflow the query, not merely find nothing)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = 0
    if isinstance(value, bool | float) or not 0 < number < 2**63:
        raise ValidationError({name: ["is not an id"]})
    return number


def _attach_care(user, encounter: Encounter, data: dict, at: datetime, result: FieldResult):
    referrals = data.get("referrals") or []
    followup = data.get("follow_up")
    consent = data.get("consent")
    if (referrals or followup or consent) and encounter.person_id is None:
        raise ValidationError(
            {"person": ["referrals, a follow-up and a consent need the person's name"]}
        )
    if not isinstance(referrals, list):
        raise ValidationError({"referrals": ["is not a list"]})
    person = encounter.person
    for index, spec in enumerate(referrals):
        spec = _check_dict(spec, f"referrals.{index}")
        resource = Resource.objects.filter(pk=_int(spec.get("resource"), f"referrals.{index}"))
        resource = resource.select_related("provider_agency").first()
        if resource is None:
            raise ValidationError({f"referrals.{index}.resource": ["no such directory entry"]})
        result.referrals.append(
            send_referral(
                user,
                person,
                resource=resource,
                encounter=encounter,
                note=str(spec.get("note") or ""),
                external_id=_key("R", spec.get("client_id")),
                at=at,
            )
        )
    if followup:
        spec = _check_dict(followup, "follow_up")
        assignee = user if spec.get("assign_to_me") else None
        result.followup = create_followup(
            user,
            person,
            due_at=_due(spec, at),
            encounter=encounter,
            method=str(spec.get("method") or ""),
            note=str(spec.get("note") or ""),
            assigned_to=assignee,
            external_id=_key("F", spec.get("client_id")),
            at=at,
        )
    if consent:
        result.consent_id = capture_consent(user, person, _check_dict(consent, "consent"), at)


CONSENT_RECIPIENTS = {
    RecipientClass.TREATING_PROVIDERS,
    RecipientClass.PROGRAM_PARTNERS,
    RecipientClass.CRISIS_RESPONDERS,
}


def capture_consent(user, person: Person, spec: dict, at: datetime) -> int:
    """The consent the person signed on the phone, as privacy.Consent (record_consent):
    who discloses (the agency holding the record), to whom (an agency or a class), which
    categories, for what purposes, until when, signed by whom, with the signature image."""
    external_id = _key("CF", spec.get("client_id"))
    existing = Consent.objects.filter(external_id=external_id).values_list("pk", flat=True)
    if existing:
        return existing[0]
    if person.agency_id not in agencies_allowing(user, C.IDENTITY):
        raise PermissionDenied("Consent is taken by the agency that holds the person's record.")
    problems: dict[str, list[str]] = {}
    categories = spec.get("categories") or []
    purposes = spec.get("purposes") or []
    if not isinstance(categories, list) or not categories:
        problems["consent.categories"] = ["choose what may be shared"]
    elif not all(isinstance(c, str) for c in categories) or set(categories) - set(C.values):
        problems["consent.categories"] = ["names an unknown data category"]
    if not isinstance(purposes, list) or not purposes:
        problems["consent.purposes"] = ["choose what for"]
    elif (
        not all(isinstance(p, str) for p in purposes)
        or set(purposes) - set(Purpose.values)
        or Purpose.CRIMINAL_INVESTIGATION in purposes
    ):
        problems["consent.purposes"] = ["names a purpose a consent cannot give"]
    to_agency, to_class = None, ""
    recipient = str(spec.get("to") or "")
    if recipient in CONSENT_RECIPIENTS:
        to_class = recipient
    elif recipient.startswith("agency:"):
        to_agency = Agency.objects.filter(pk=_int(recipient[7:], "consent.to")).first()
        if to_agency is None:
            problems["consent.to"] = ["no such agency"]
    else:
        problems["consent.to"] = ["choose who may receive it"]
    signed_by = str(spec.get("signed_by") or "").strip()
    if not signed_by:
        problems["consent.signed_by"] = [
            "the name of who signs (the person or their representative)"
        ]
    expires_at = None
    if spec.get("expires"):
        try:
            expires_at = timezone.make_aware(
                datetime.combine(date.fromisoformat(str(spec["expires"])), time(23, 59))
            )
        except (ValueError, OverflowError):
            problems["consent.expires"] = ["is not a date YYYY-MM-DD"]
        else:
            if expires_at <= at:
                problems["consent.expires"] = ["is not after today"]
            elif expires_at - at > CONSENT_HORIZON:
                problems["consent.expires"] = [
                    "is more than ten years ahead: give the event that ends it instead"
                ]
    expiry_event = str(spec.get("expiry_event") or "").strip()[:200]
    if expires_at is None and not expiry_event and "consent.expires" not in problems:
        problems["consent.expires"] = ["give an end date or the event that ends it"]
    document = _signature(spec.get("signature"), problems)
    if problems:
        raise ValidationError(problems)
    consent = record_consent(
        person=person,
        categories=categories,
        purposes=purposes,
        signed_at=at,
        by=user,
        kind=ConsentKind.PART2 if C.SUBSTANCE_USE in categories else ConsentKind.PROGRAM,
        to_agency=to_agency,
        to_class=to_class,
        expires_at=expires_at,
        expiry_event=expiry_event,
        description=str(spec.get("description") or "").strip()[:500],
        signed_by=signed_by[:200],
        document=document,
        document_type="image/png",
        external_id=external_id,
    )
    return consent.pk


def _signature(value, problems) -> bytes | None:
    """The drawn signature: a PNG data URL (data:image/png;base64,...)."""
    prefix = "data:image/png;base64,"
    if not isinstance(value, str) or not value.startswith(prefix):
        problems["consent.signature"] = ["the person signs on the screen"]
        return None
    try:
        data = base64.b64decode(value[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        problems["consent.signature"] = ["is not a PNG image"]
        return None
    if not data.startswith(PNG):
        problems["consent.signature"] = ["is not a PNG image"]
    elif len(data) > SIGNATURE_LIMIT:
        problems["consent.signature"] = [f"is {len(data):,} bytes; at most {SIGNATURE_LIMIT:,}"]
    return data


# --- reminders (the background worker runs `remind`; see care.tasks) ------------------------------


def _case_managers_of(agency_ids) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for m in Membership.objects.filter(
        agency_id__in=agency_ids, role=Role.CASE_MANAGER, user__is_active=True
    ).select_related("user"):
        out.setdefault(m.agency_id, []).append(m.user)
    return out


def lookback() -> timedelta:
    return timedelta(days=int(getattr(settings, "CORESPONSE_REMINDER_LOOKBACK_DAYS", 14)))


def remind(now: datetime | None = None) -> int:
    """Leave reminders for follow-ups due in the next day or overdue (within the look-back
    window), and for referrals waiting too long at a step: for whoever is assigned (the
    referrer for a referral), else every case manager of the agency holding the record. Run
    again, it adds nothing already there; returns how many it added."""
    now = _now(now)
    since = now - lookback()
    followups = list(
        FollowUp.objects.filter(
            completed_at__isnull=True, due_at__lt=now + timedelta(days=1), due_at__gte=since
        ).select_related("person")
    )
    referrals = list(
        Referral.objects.filter(overdue_q(now), sent_at__gte=since - timedelta(days=30))
        .exclude(status__in=REFERRAL_FINAL_STATUSES)
        .select_related("person", "referred_by")
    )
    agencies = {f.person.agency_id for f in followups} | {r.person.agency_id for r in referrals}
    managers = _case_managers_of(agencies)
    wanted = []
    for f in followups:
        kind = ReminderKind.FOLLOWUP_OVERDUE if f.due_at < now else ReminderKind.FOLLOWUP_DUE
        for user in [f.assigned_to] if f.assigned_to_id else managers.get(f.person.agency_id, []):
            wanted.append(
                Reminder(user=user, kind=kind, followup=f, due_at=f.due_at, created_at=now)
            )
    for r in referrals:
        users = (
            [r.referred_by]
            if r.referred_by_id and r.referred_by.is_active
            else managers.get(r.person.agency_id, [])
        )
        for user in users:
            wanted.append(
                Reminder(
                    user=user,
                    kind=ReminderKind.REFERRAL_OVERDUE,
                    referral=r,
                    due_at=r.sent_at,
                    created_at=now,
                )
            )
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
    return Reminder.objects.count() - before


def dismiss_reminder(user, reminder: Reminder) -> None:
    if reminder.user_id != user.pk:
        raise PermissionDenied("That reminder is someone else's.")
    Reminder.objects.filter(pk=reminder.pk, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )
