"""Reads of care after the crisis, already filtered by what the viewer may see.

Referrals, follow-ups and enrollments are filed under the data category their service type
reveals (a substance-use treatment referral is 42 CFR Part 2 data, a psychiatry enrollment is
mental health, a shelter referral is the contact plan), and shown per owning agency as the
disclosure policy allows (`coresponse.privacy.selectors`). A receiving provider sees the
referrals addressed to its agency in its inbox; the person's name and contact there are the
policy's to give (a consent naming the provider). Names printed in lists are decided and
audited by `label_persons`.

Also here: the resource directory and its search (need, open now, distance, eligibility), the
follow-up worklist, overdue referrals, frequent clients and outreach, reminders, and
`responder_view`, what the crisis alert may show responders of a person's care.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from coresponse import sql
from coresponse.agencies.models import Agency, Role
from coresponse.care.models import (
    REFERRAL_OPEN_STATUSES,
    ContactMethod,
    Eligibility,
    Enrollment,
    FollowUp,
    OutreachStatus,
    OutreachVisit,
    Referral,
    ReferralStatus,
    Reminder,
    Resource,
    SafetyPlan,
    ServiceType,
)
from coresponse.dispatch.models import AssignmentStatus
from coresponse.dispatch.selectors import OFFICER_KINDS, AsOf, partner_programs
from coresponse.dispatch.services.board import NEXT as STATUS_NEXT
from coresponse.dispatch.templatetags.dispatch_board import MOVE_LABELS
from coresponse.field.models import Concern, Disposition, Encounter, EncounterKind, Service
from coresponse.field.selectors import (
    HEALTH_OUTCOMES,
    JUSTICE_OUTCOMES,
    NOTE_LABELS,
    newest_first,
    team_encounters,
    visible_encounters,
    with_person_labels,
    writable_categories,
)
from coresponse.people.identity import humans
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import Purpose, RecipientClass
from coresponse.privacy.selectors import (
    NO_PERSON,
    agencies_allowing,
    label_persons,
    memberships,
    user_agency_ids,
)

C = DataCategory
S = ServiceType
R = ReferralStatus

# The data category a referral or enrollment reveals through its service type.
SERVICE_CATEGORY = {
    S.DETOX: C.SUBSTANCE_USE,
    S.SUBSTANCE_USE_TREATMENT: C.SUBSTANCE_USE,
    S.CRISIS_STABILIZATION: C.MENTAL_HEALTH,
    S.OUTPATIENT_MENTAL_HEALTH: C.MENTAL_HEALTH,
    S.PSYCHIATRY: C.MENTAL_HEALTH,
    S.PRIMARY_CARE: C.MEDICAL,
}


def service_category(service_type: str) -> str:
    return SERVICE_CATEGORY.get(service_type, C.CONTACT_PLAN)


def _service_types_in(categories: set[str]) -> list[str]:
    return [s for s in S.values if service_category(s) in categories]


def _care_filter(user) -> Q | None:
    """Rows the user may see: per owning agency, the service types whose category the policy
    allows (with identity: a row names its person)."""
    allowed: dict[int, set[str]] = defaultdict(set)
    for category in C.values:
        for agency_id in agencies_allowing(user, category):
            allowed[agency_id].add(category)
    q = None
    for agency_id, categories in sorted(allowed.items()):
        if C.IDENTITY not in categories:
            continue
        part = Q(person__agency_id=agency_id, service_type__in=_service_types_in(categories))
        q = part if q is None else q | part
    return q


def visible_referrals(user) -> QuerySet[Referral]:
    q = _care_filter(user)
    if q is None:
        return Referral.objects.none()
    return Referral.objects.filter(q).select_related("person__agency", "to_agency", "resource")


def open_referrals(user) -> QuerySet[Referral]:
    return visible_referrals(user).filter(status__in=REFERRAL_OPEN_STATUSES).order_by("sent_at")


def visible_enrollments(user) -> QuerySet[Enrollment]:
    q = _care_filter(user)
    if q is None:
        return Enrollment.objects.none()
    return Enrollment.objects.filter(q).select_related("person__agency")


def visible_followups(user) -> QuerySet[FollowUp]:
    agencies = agencies_allowing(user, C.CONTACT_PLAN) & agencies_allowing(user, C.IDENTITY)
    return FollowUp.objects.filter(person__agency_id__in=agencies).select_related(
        "person__agency", "encounter", "assigned_to"
    )


def labelled(user, detail: str, *groups) -> list[list]:
    """Each group of rows (follow-ups, referrals, encounters) with `person_label` set; the names
    of all groups are decided together and written as one audit event."""
    groups = [list(g) for g in groups]
    rows = [r for g in groups for r in g]
    labels = label_persons(user, [r.person for r in rows], detail=detail)
    for row in rows:
        row.person_label = labels.get(row.person_id, NO_PERSON)
    return groups


# --- referrals: the closed loop -------------------------------------------------------------------

# How long a referral may stay at a step before it is overdue (days), e.g. sent but not
# received after 2 days. A scheduled referral is overdue 2 days after its appointment (14 days
# after it was scheduled when no appointment time is known). CORESPONSE_REFERRAL_OVERDUE_DAYS
# overrides any of them.
OVERDUE_DAYS = {R.SENT: 2, R.RECEIVED: 3, R.ACCEPTED: 7, R.SCHEDULED: 2}
SCHEDULED_WITHOUT_APPOINTMENT_DAYS = 14
_STEP_STAMP = {R.SENT: "sent_at", R.RECEIVED: "received_at", R.ACCEPTED: "accepted_at"}


def overdue_days() -> dict[str, int]:
    return {**OVERDUE_DAYS, **getattr(settings, "CORESPONSE_REFERRAL_OVERDUE_DAYS", {})}


def overdue_q(now: datetime) -> Q:
    """Open referrals waiting longer at their step than `overdue_days` allows."""
    days = overdue_days()
    q = Q(status=R.SENT, sent_at__lt=now - timedelta(days=days[R.SENT]))
    for status in (R.RECEIVED, R.ACCEPTED):
        limit = now - timedelta(days=days[status])
        stamp = _STEP_STAMP[status]
        # Imported referrals may lack the step's stamp: they count from when they were sent.
        q |= Q(status=status) & (
            Q(**{f"{stamp}__lt": limit}) | Q(**{f"{stamp}__isnull": True, "sent_at__lt": limit})
        )
    q |= Q(status=R.SCHEDULED) & (
        Q(appointment_at__lt=now - timedelta(days=days[R.SCHEDULED]))
        | Q(
            appointment_at__isnull=True,
            sent_at__lt=now - timedelta(days=SCHEDULED_WITHOUT_APPOINTMENT_DAYS),
        )
    )
    return q


def due_by(referral: Referral) -> datetime | None:
    """When an open referral becomes overdue at its current step."""
    if not referral.is_open:
        return None
    days = overdue_days()
    if referral.status == R.SCHEDULED:
        if referral.appointment_at:
            return referral.appointment_at + timedelta(days=days[R.SCHEDULED])
        return referral.sent_at + timedelta(days=SCHEDULED_WITHOUT_APPOINTMENT_DAYS)
    start = getattr(referral, _STEP_STAMP[referral.status]) or referral.sent_at
    return start + timedelta(days=days[referral.status])


def overdue_referrals(user, now: datetime) -> QuerySet[Referral]:
    return open_referrals(user).filter(overdue_q(now))


def inbox(user, status: str = "open") -> QuerySet[Referral]:
    """Referrals addressed to one of the user's agencies (the receiving provider's inbox):
    open ones with the new (sent, not yet received) first, each group oldest first; or those
    of one status; or all closed ones newest first."""
    rows = Referral.objects.filter(to_agency_id__in=user_agency_ids(user)).select_related(
        "person__agency", "to_agency", "resource", "referred_by"
    )
    if status == "open":
        new = Case(When(status=R.SENT, then=Value(0)), default=Value(1))
        return (
            rows.filter(status__in=REFERRAL_OPEN_STATUSES)
            .annotate(new_first=new)
            .order_by("new_first", "sent_at", "id")
        )
    if status == "closed":
        return rows.exclude(status__in=REFERRAL_OPEN_STATUSES).order_by("-closed_at", "-id")
    if status in R.values:
        return rows.filter(status=status).order_by("sent_at", "id")
    return rows.order_by("-sent_at", "-id")


def is_recipient(user, referral: Referral) -> bool:
    return referral.to_agency_id is not None and referral.to_agency_id in user_agency_ids(user)


def is_sender(user, referral: Referral) -> bool:
    return visible_referrals(user).filter(pk=referral.pk).exists()


def referral_for(user, referral_id) -> Referral:
    """A referral the user sees as its sender (by the policy) or its receiving provider; 404
    otherwise, like a missing one."""
    try:
        pk = int(referral_id)
    except (TypeError, ValueError):
        raise Http404("No referral found matching the query") from None
    referral = (
        Referral.objects.select_related(
            "person__agency", "to_agency", "resource", "referred_by", "encounter"
        )
        .filter(pk=pk)
        .first()
    )
    if referral is None or not (is_recipient(user, referral) or is_sender(user, referral)):
        raise Http404("No referral found matching the query")
    return referral


def next_steps(referral: Referral) -> tuple[str, ...]:
    """The statuses a referral may move to from where it is (any step may be skipped forward;
    an open referral may always be declined or closed)."""
    order = [R.SENT, R.RECEIVED, R.ACCEPTED, R.SCHEDULED]
    if referral.status not in order:
        return ()
    later = order[order.index(referral.status) + 1 :]
    outcomes = [R.COMPLETED, R.NO_SHOW] if referral.status != R.SENT else []
    return (*later, *outcomes, R.DECLINED, R.CLOSED)


# --- follow-ups -----------------------------------------------------------------------------------


# A follow-up overdue by more than this is long overdue: still listed, but after today's work
# (a person not reached in a month is closed with an outcome or passed on, not called first).
LONG_OVERDUE = timedelta(days=30)


def worklist(user, at: AsOf, *, days: int = 7, mine_only: bool = False) -> QuerySet[FollowUp]:
    """Follow-ups still to do that are due within `days` or overdue, soonest first: those
    assigned to the user, and (unless `mine_only`) the unassigned ones they may see. Those
    overdue by more than LONG_OVERDUE come last (`long_overdue` is annotated on each row), so a
    backlog never buries the follow-ups of this week."""
    rows = visible_followups(user).filter(
        completed_at__isnull=True, due_at__lt=at.now + timedelta(days=days)
    )
    mine = Q(assigned_to=user)
    if not mine_only:
        mine |= Q(assigned_to__isnull=True)
    stale = Case(
        When(due_at__lt=at.now - LONG_OVERDUE, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return rows.filter(mine).annotate(long_overdue=stale).order_by("long_overdue", "due_at", "id")


def followup_for(user, followup_id) -> FollowUp:
    try:
        return visible_followups(user).prefetch_related("attempt_log__by").get(pk=int(followup_id))
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404("No follow-up found matching the query") from None


# --- the resource directory -----------------------------------------------------------------------

EARTH_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def is_open(resource: Resource, at: datetime) -> bool | None:
    """Open at `at` (the program's local time), closed, or None when its hours are unknown.

    A rule whose close is at or before its open runs past midnight (22:00-06:00)."""
    if resource.open_24_7:
        return True
    if not resource.opening_hours:
        return None
    local = timezone.localtime(at)
    day, minute = local.weekday(), local.hour * 60 + local.minute
    for rule in resource.opening_hours:
        opens, closes = _minutes(rule["open"]), _minutes(rule["close"])
        days = rule.get("days", range(7))
        if closes > opens:
            if day in days and opens <= minute < closes:
                return True
        elif (day in days and minute >= opens) or ((day - 1) % 7 in days and minute < closes):
            return True
    return False


def closes_at(resource: Resource, at: datetime) -> time | None:
    """When an open resource closes today (None: 24/7 or unknown)."""
    if resource.open_24_7 or not resource.opening_hours:
        return None
    local = timezone.localtime(at)
    minute = local.hour * 60 + local.minute
    for rule in resource.opening_hours:
        if local.weekday() in rule.get("days", range(7)):
            opens, closes = _minutes(rule["open"]), _minutes(rule["close"])
            if closes > opens and opens <= minute < closes:
                return time(closes // 60, closes % 60)
    return None


@dataclass
class Found:
    resource: Resource
    open_now: bool | None
    distance_km: float | None
    closes: time | None = None

    @property
    def distance_text(self) -> str:
        if self.distance_km is None:
            return ""
        miles = self.distance_km / 1.609344
        return f"{miles:.1f} mi" if miles >= 0.1 else "nearby"


@dataclass
class Search:
    need: str = ""
    open_now: bool = False
    eligibility: str = ""
    age: int | None = None
    q: str = ""
    latitude: float | None = None
    longitude: float | None = None
    within_km: float | None = None

    @property
    def near(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def search_resources(search: Search, at: datetime | None = None) -> list[Found]:
    """Active directory entries matching the search: the need (service type), open now,
    an eligibility tag, an age, words in the name, description or eligibility, and within a
    distance of a point; nearest first when a point is given, else by name.

    The directory is small (hundreds of entries), so matching is done in Python over one
    query: tags are JSON lists, which SQLite cannot search inside."""
    at = at or timezone.now()
    rows = Resource.objects.filter(active=True).select_related("provider_agency")
    if search.need:
        rows = rows.filter(service_type=search.need)
    words = search.q.lower().split()
    found = []
    for resource in rows.order_by("name", "id"):
        if search.eligibility and search.eligibility not in (resource.eligibility_tags or []):
            continue
        if search.age is not None:
            if resource.min_age is not None and search.age < resource.min_age:
                continue
            if resource.max_age is not None and search.age > resource.max_age:
                continue
        if words:
            text = f"{resource.name} {resource.description} {resource.eligibility}".lower()
            if not all(w in text for w in words):
                continue
        open_now = is_open(resource, at)
        if search.open_now and open_now is not True:
            continue
        distance = None
        if search.near and resource.latitude is not None and resource.longitude is not None:
            distance = haversine_km(
                search.latitude, search.longitude, resource.latitude, resource.longitude
            )
            if search.within_km is not None and distance > search.within_km:
                continue
        elif search.near and search.within_km is not None:
            continue  # no location: cannot be within a distance
        found.append(Found(resource, open_now, distance, closes_at(resource, at)))
    if search.near:
        found.sort(key=lambda f: (f.distance_km is None, f.distance_km or 0, f.resource.name))
    return found


def resource_json(resource: Resource, at: datetime) -> dict:
    """A directory entry as the field app keeps it on the device (no person data)."""
    return {
        "id": resource.pk,
        "external_id": resource.external_id,
        "name": resource.name,
        "service_type": resource.service_type,
        "service_label": resource.get_service_type_display(),
        "description": resource.description,
        "eligibility": resource.eligibility,
        "eligibility_tags": list(resource.eligibility_tags or []),
        "min_age": resource.min_age,
        "max_age": resource.max_age,
        "hours": resource.hours,
        "opening_hours": list(resource.opening_hours or []),
        "open_24_7": resource.open_24_7,
        "open_now": is_open(resource, at),
        "capacity": resource.capacity,
        "available_today": resource.available_today,
        "available_updated_at": resource.available_updated_at.isoformat()
        if resource.available_updated_at
        else None,
        "address": resource.address,
        "latitude": resource.latitude,
        "longitude": resource.longitude,
        "phone": resource.phone,
        "website": resource.website,
        "languages": resource.languages,
        "receives_referrals": resource.provider_agency_id is not None,
    }


def eligibility_choices() -> list[tuple[str, str]]:
    return list(Eligibility.choices)


def managed_resources(user) -> QuerySet[Resource]:
    """Directory entries whose provider agency the user works for: they update capacity."""
    return Resource.objects.filter(provider_agency_id__in=user_agency_ids(user)).order_by("name")


# --- safety plans and what responders may see -----------------------------------------------------


def safety_plan_of(person: Person) -> SafetyPlan | None:
    """The person record's current plan (the newest). The caller has decided the person may be
    seen and that mental-health data of the record may be shown (the plan is clinical)."""
    return SafetyPlan.objects.filter(person=person).order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    phone: str


@dataclass(frozen=True)
class ResponderView:
    """What the crisis alert may show responders of a person's care (see `responder_view`)."""

    person_ids: tuple[int, ...]
    engaged_in_care: bool
    care_providers: tuple[str, ...]
    who_to_call: tuple[Contact, ...]
    safety_plan_highlights: tuple[str, ...]
    shared_sections: tuple[tuple[str, str], ...]  # (section label, the person's words)
    de_escalation_tips: tuple[str, ...]
    prior_crisis_contacts: int
    last_crisis_contact: datetime | None
    safety_plan_updated: datetime | None
    # Responder safety: crisis contacts of the last SAFETY_WINDOW with a weapon or an injury.
    weapon_contacts: int = 0
    last_weapon_contact: datetime | None = None
    injury_contacts: int = 0


SAFETY_WINDOW = timedelta(days=365)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t"))


def responder_view(person_ids: Iterable[int], at: datetime | None = None) -> ResponderView:
    """For the records of one human (the crisis alert finds them): whether the person is in
    long-term care and with whom, who to call now, the safety-plan parts the person agreed to
    share with responders, de-escalation tips, how many crisis contacts came before, and
    weapons and injuries at the crisis contacts of the last twelve months.

    Only what the person agreed to share (SafetyPlan.share_with_responders and its
    shared_sections) comes out of a plan. This makes no disclosure decision and writes no
    audit event: the caller (the alert) decides the contact_plan category for each record
    and writes the lookup to the audit chain.

    Two hand-written queries (coresponse.sql; the alert runs this a hundred times a second):
    the enrollments in force with their provider's phone, then the newest shared plan beside
    the crisis contacts' counts."""
    ids = sorted({int(p) for p in person_ids})
    at = at or timezone.now()
    if not ids:
        return ResponderView((), False, (), (), (), (), (), 0, None, None)
    today = timezone.localdate(at)
    marks = sql.marks(ids)
    with sql.cursor() as cursor:
        day = sql.param(_START_DATE, today)
        cursor.execute(_ENROLLED_SQL.format(marks=marks), [*ids, day, day])
        enrolled = cursor.fetchall()
        moment = sql.param(_ON_SCENE_AT, at)
        since = sql.param(_ON_SCENE_AT, at - SAFETY_WINDOW)
        cursor.execute(
            _PLAN_AND_CONTACTS_SQL.format(marks=marks),
            [moment, moment, since, since, since, *ids, EncounterKind.CRISIS, *ids],
        )
        (row,) = _read_plan_and_contacts(cursor.fetchall())
    providers = tuple(dict.fromkeys(provider for provider, _ in enrolled))
    phones = {provider: phone for provider, phone in enrolled if phone}
    crises, last, weapons, last_weapon, injuries, *plan_values = row
    plan = dict(zip(_PLAN_NAMES, plan_values, strict=True)) if plan_values[0] else None
    contacts: list[Contact] = []
    highlights: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()
    tips: tuple[str, ...] = ()
    if plan is not None:
        if plan["contact_name"] or plan["contact_phone"]:
            contacts.append(
                Contact(plan["contact_name"], plan["contact_role"], plan["contact_phone"])
            )
        highlights = _lines(plan["responder_highlights"])
        tips = _lines(plan["de_escalation_tips"])
        written, shared = plan["sections"] or {}, plan["shared_sections"] or []
        sections = tuple(
            (SafetyPlan.SECTION_LABELS[key], written.get(key, ""))
            for key in SafetyPlan.SECTIONS
            if key in shared and written.get(key)
        )
    for provider in providers:
        if provider in phones:
            contacts.append(Contact(provider, "Care provider", phones[provider]))
    return ResponderView(
        person_ids=tuple(ids),
        engaged_in_care=bool(enrolled),
        care_providers=providers,
        who_to_call=tuple(contacts),
        safety_plan_highlights=highlights,
        shared_sections=sections,
        de_escalation_tips=tips,
        prior_crisis_contacts=crises,
        last_crisis_contact=last,
        safety_plan_updated=(plan["updated_at"] or plan["created_at"]) if plan else None,
        weapon_contacts=weapons,
        last_weapon_contact=last_weapon,
        injury_contacts=injuries,
    )


_START_DATE = Enrollment._meta.get_field("start_date")
_ON_SCENE_AT = Encounter._meta.get_field("on_scene_at")
# Enrollments in force, newest first, each with the phone of the directory's resource of that
# name (the newest such resource with a phone).
_ENROLLED_SQL = f"""
SELECT enrollment.provider, (
    SELECT resource.phone FROM {Resource._meta.db_table} AS resource
    WHERE resource.name = enrollment.provider AND resource.phone <> ''
    ORDER BY resource.id DESC LIMIT 1
)
FROM {Enrollment._meta.db_table} AS enrollment
WHERE enrollment.person_id IN ({{marks}}) AND enrollment.start_date <= %s
  AND (enrollment.end_date IS NULL OR enrollment.end_date >= %s)
ORDER BY enrollment.start_date DESC, enrollment.id
"""
_PLAN_NAMES = (
    "id", "contact_name", "contact_role", "contact_phone", "responder_highlights",
    "de_escalation_tips", "sections", "shared_sections", "updated_at", "created_at",
)  # fmt: skip
_PLAN_FIELDS = [SafetyPlan._meta.get_field(name) for name in _PLAN_NAMES]
# One row: the crisis contacts before `at` (how many, the last), those of the safety window
# with a weapon (how many, the last) or an injury, then the newest plan the person agreed to
# share with responders (all NULL when there is none).
_PLAN_AND_CONTACTS_SQL = f"""
SELECT contacts.*, {", ".join(f"plan.{f.column}" for f in _PLAN_FIELDS)}
FROM (
    SELECT COUNT(CASE WHEN on_scene_at < %s THEN 1 END),
           MAX(CASE WHEN on_scene_at < %s THEN on_scene_at END),
           COUNT(CASE WHEN weapon_present AND on_scene_at >= %s THEN 1 END),
           MAX(CASE WHEN weapon_present AND on_scene_at >= %s THEN on_scene_at END),
           COUNT(CASE WHEN injuries AND on_scene_at >= %s THEN 1 END)
    FROM {Encounter._meta.db_table}
    WHERE person_id IN ({{marks}}) AND kind = %s
) AS contacts
LEFT JOIN (
    SELECT * FROM {SafetyPlan._meta.db_table}
    WHERE person_id IN ({{marks}}) AND share_with_responders
    ORDER BY created_at DESC, id DESC LIMIT 1
) AS plan ON 1 = 1
"""
_read_plan_and_contacts = sql.reader(None, _ON_SCENE_AT, None, _ON_SCENE_AT, None, *_PLAN_FIELDS)


# --- frequent clients and outreach ----------------------------------------------------------------


def frequent_threshold() -> tuple[int, int]:
    """(N crisis encounters, within D days) that make a frequent client."""
    return (
        int(getattr(settings, "CORESPONSE_FREQUENT_CLIENT_ENCOUNTERS", 3)),
        int(getattr(settings, "CORESPONSE_FREQUENT_CLIENT_DAYS", 365)),
    )


@dataclass
class FrequentClient:
    human_id: int
    person: Person  # the record the list shows (one the viewer may see, if any)
    person_ids: list[int]
    crises: int
    first_crisis: datetime
    last_crisis: datetime
    last_contact: datetime
    enrolled: bool | None  # None: the viewer may not see whether (contact plan withheld)
    enrolled_with: list[str] = field(default_factory=list)
    planned: OutreachVisit | None = None
    person_label: object = None


def frequent_clients(user, at: AsOf, minimum: int | None = None) -> list[FrequentClient]:
    """People with `minimum` (default N) or more crisis encounters in the last D days, in the
    programs the user works in; linked records count as one human (people.identity.humans).
    With each: their last contact (an encounter of any kind or a completed follow-up), whether
    they are in long-term care now, and the next outreach visit planned."""
    n, days = frequent_threshold()
    minimum = minimum or n
    since = at.now - timedelta(days=days)
    crises = list(
        visible_encounters(user)
        .filter(kind=EncounterKind.CRISIS, person__isnull=False)
        .filter(on_scene_at__gte=since, on_scene_at__lte=at.now)
        .values_list("person_id", "on_scene_at")
    )
    by_person: dict[int, list[datetime]] = defaultdict(list)
    for person_id, on_scene in crises:
        by_person[person_id].append(on_scene)
    enrolled_ids = set(
        Enrollment.objects.filter(start_date__lte=at.today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=at.today))
        .values_list("person_id", flat=True)
    )
    human_of = humans(set(by_person) | enrolled_ids)
    members: dict[int, list[int]] = defaultdict(list)
    for person_id, human in human_of.items():
        members[human].append(person_id)
    counts: dict[int, list[datetime]] = defaultdict(list)
    for person_id, times in by_person.items():
        counts[human_of[person_id]].extend(times)
    frequent = {h: sorted(t) for h, t in counts.items() if len(t) >= minimum}
    if not frequent:
        return []
    record_ids = [pid for h in frequent for pid in members[h]]
    persons = {p.pk: p for p in Person.objects.filter(pk__in=record_ids).select_related("agency")}
    last_seen = _last_contacts(record_ids, at.now)
    may_see_care = agencies_allowing(user, C.CONTACT_PLAN)
    providers = defaultdict(list)
    for e in Enrollment.objects.filter(person_id__in=enrolled_ids & set(record_ids)).order_by(
        "-start_date"
    ):
        if e.end_date is None or e.end_date >= at.today:
            providers[e.person_id].append(e.provider)
    identity_ok = agencies_allowing(user, C.IDENTITY)
    planned = _next_visits(record_ids, at.now)
    rows = []
    for human, times in frequent.items():
        ids = sorted(members[human])
        shown = sorted(ids, key=lambda pid: (persons[pid].agency_id not in identity_ok, pid))
        person = persons[shown[0]]
        care_visible = [pid for pid in ids if persons[pid].agency_id in may_see_care]
        enrolled: bool | None = None
        with_whom: list[str] = []
        if care_visible:
            with_whom = [p for pid in care_visible for p in providers.get(pid, [])]
            enrolled = bool(with_whom)
        contacts = [last_seen[pid] for pid in ids if pid in last_seen]
        rows.append(
            FrequentClient(
                human_id=human,
                person=person,
                person_ids=ids,
                crises=len(times),
                first_crisis=times[0],
                last_crisis=times[-1],
                last_contact=max([times[-1], *contacts]),
                enrolled=enrolled,
                enrolled_with=list(dict.fromkeys(with_whom)),
                planned=next((planned[pid] for pid in ids if pid in planned), None),
            )
        )
    rows.sort(key=lambda r: (-r.crises, -r.last_contact.timestamp()))
    return rows


def _last_contacts(person_ids: list[int], now: datetime) -> dict[int, datetime]:
    last: dict[int, datetime] = {}
    for pid, on_scene in (
        Encounter.objects.filter(person_id__in=person_ids, on_scene_at__lte=now)
        .values_list("person_id", "on_scene_at")
        .iterator()
    ):
        if on_scene and (pid not in last or on_scene > last[pid]):
            last[pid] = on_scene
    for pid, done in (
        FollowUp.objects.filter(person_id__in=person_ids, completed_at__lte=now)
        .exclude(outcome="unable_to_reach")
        .values_list("person_id", "completed_at")
        .iterator()
    ):
        if pid not in last or done > last[pid]:
            last[pid] = done
    return last


def _next_visits(person_ids: list[int], now: datetime) -> dict[int, OutreachVisit]:
    visits = {}
    for visit in OutreachVisit.objects.filter(
        person_id__in=person_ids, status=OutreachStatus.PLANNED
    ).order_by("-scheduled_for"):
        visits[visit.person_id] = visit  # the earliest wins (written last)
    return visits


def outreach_visits(user, *, mine_only: bool = False) -> QuerySet[OutreachVisit]:
    """Planned outreach visits of the user's programs (of persons they may see), soonest
    first; or only those assigned to the user."""
    rows = OutreachVisit.objects.filter(
        status=OutreachStatus.PLANNED,
        program__in=partner_programs(user).values("id"),
        person__agency_id__in=agencies_allowing(user, C.IDENTITY),
    ).select_related("person__agency", "program", "assigned_to")
    if mine_only:
        rows = rows.filter(assigned_to=user)
    return rows.order_by("scheduled_for", "id")


def visit_for(user, visit_id) -> OutreachVisit:
    try:
        return outreach_visits(user).get(pk=int(visit_id))
    except (OutreachVisit.DoesNotExist, ValueError, TypeError):
        raise Http404("No outreach visit found matching the query") from None


# --- reminders ------------------------------------------------------------------------------------


def reminders_for(user) -> QuerySet[Reminder]:
    """Reminders left for the user that are still worth showing (not dismissed, the work not
    done)."""
    return (
        Reminder.objects.filter(user=user, dismissed_at__isnull=True)
        .filter(
            Q(followup__isnull=True) | Q(followup__completed_at__isnull=True),
            Q(referral__isnull=True) | Q(referral__status__in=REFERRAL_OPEN_STATUSES),
        )
        .select_related("followup__person__agency", "referral__person__agency")
        .order_by("due_at", "id")
    )


# --- the home pages of the care roles -------------------------------------------------------------


def clinician_home(user, at: AsOf) -> dict:
    crisis = newest_first(visible_encounters(user).filter(kind=EncounterKind.CRISIS))[:10]
    due = worklist(user, at, days=7)[:10]
    encounters, followups, referrals = labelled(
        user, "clinician home", crisis, due, open_referrals(user)[:10]
    )
    return {
        "encounters": encounters,
        "followups": followups,
        "referrals": referrals,
        "programs": list(partner_programs(user)),
    }


def team_home(user, at: AsOf) -> dict:
    encounters = team_encounters(user)
    has_team = user.teams.exists()
    if not has_team:
        encounters = newest_first(visible_encounters(user))
    return {
        "has_team": has_team,
        "teams": list(user.teams.select_related("program")),
        "encounters": with_person_labels(user, encounters[:20], detail="team home"),
    }


def is_case_manager(user) -> bool:
    return any(m.role == Role.CASE_MANAGER for m in memberships(user))


def case_manager_home(user, at: AsOf) -> dict:
    pending = visible_followups(user).filter(completed_at__isnull=True).order_by("due_at", "id")
    mine = pending.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    # Overdue: the most recent first (yesterday's missed call before a month-old backlog).
    overdue = mine.filter(due_at__lt=at.now).order_by("-due_at", "-id")
    upcoming = mine.filter(due_at__gte=at.now, due_at__lt=at.now + timedelta(days=7))
    referrals = open_referrals(user).order_by("sent_at", "id")
    late = overdue_referrals(user, at.now)
    received = inbox(user)
    reminders = list(reminders_for(user)[:10])
    for reminder in reminders:
        item = reminder.followup or reminder.referral
        reminder.person, reminder.person_id = item.person, item.person_id
    visits = list(outreach_visits(user)[:10])
    overdue_rows, upcoming_rows, late_rows, inbox_rows, reminders, visits = labelled(
        user,
        "case manager worklist",
        overdue[:25],
        upcoming[:25],
        referrals[:25],
        received[:10],
        reminders,
        visits,
    )
    for row in late_rows:
        row.due = due_by(row)
    return {
        "overdue_count": overdue.count(),
        "upcoming_count": upcoming.count(),
        "late_count": late.count(),
        "referral_count": referrals.count(),
        "inbox_count": received.count(),
        "overdue": overdue_rows,
        "upcoming": upcoming_rows,
        "referrals": late_rows,
        "inbox": inbox_rows,
        "reminders": reminders,
        "outreach": visits,
        "frequent_threshold": frequent_threshold(),
    }


# --- the field app's profile ----------------------------------------------------------------------


def field_profile(user) -> dict:
    """What the field app keeps on the device to work offline: who the user is, what they may
    record, and every list the encounter form offers (no person data)."""
    ms = memberships(user)
    primary = ms[0] if ms else None
    programs = list(partner_programs(user).order_by("name"))
    partner_agencies = (
        Agency.objects.filter(programs__in=[p.pk for p in programs]).distinct().order_by("name")
    )
    writable = sorted(writable_categories(user, None, owner=primary.agency_id)) if primary else []
    concern_category = {Concern.SUBSTANCE_USE: C.SUBSTANCE_USE}
    return {
        # The dispatch board's order of statuses (dispatch.services.board), so a tap made
        # offline shows the right next buttons until the server answers.
        "status_flow": {
            "next": {status: list(moves) for status, moves in STATUS_NEXT.items()},
            "officer_kinds": sorted(OFFICER_KINDS),
            "labels": dict(MOVE_LABELS),
            "status_labels": {s: AssignmentStatus(s).label for s in AssignmentStatus.values},
        },
        "user": {
            "id": user.pk,
            "username": user.username,
            "name": user.get_full_name() or user.username,
            "role": primary.get_role_display() if primary else "",
            "agency": primary.agency.name if primary else "",
        },
        "time_zone": settings.TIME_ZONE,
        "writable": writable,
        "programs": [{"id": p.pk, "name": p.name} for p in programs],
        "choices": {
            "concerns": [
                {"value": v, "label": label, "category": concern_category.get(v, C.MENTAL_HEALTH)}
                for v, label in Concern.choices
            ],
            "services": [{"value": v, "label": label} for v, label in Service.choices],
            "dispositions": [{"value": v, "label": label} for v, label in Disposition.choices],
            "flags": [
                {"key": k, "label": label, "category": C.CRIMINAL_JUSTICE}
                for k, label in JUSTICE_OUTCOMES
            ]
            + [{"key": k, "label": label, "category": C.MEDICAL} for k, label in HEALTH_OUTCOMES],
            "notes": [
                {"category": c, "label": NOTE_LABELS.get(c, C(c).label)}
                for c in (
                    C.MENTAL_HEALTH,
                    C.SUBSTANCE_USE,
                    C.MEDICAL,
                    C.CRIMINAL_JUSTICE,
                    C.CONTACT_PLAN,
                )
            ],  # fmt: skip
            "contact_methods": [{"value": v, "label": label} for v, label in ContactMethod.choices],
            "service_types": [{"value": v, "label": label} for v, label in ServiceType.choices],
            "eligibility": [{"value": v, "label": label} for v, label in Eligibility.choices],
            "categories": [{"value": v, "label": label} for v, label in C.choices],
            "purposes": [
                {"value": v, "label": label}
                for v, label in Purpose.choices
                if v != Purpose.CRIMINAL_INVESTIGATION
            ],
            "recipients": [{"value": v, "label": label} for v, label in RecipientClass.choices]
            + [{"value": f"agency:{a.pk}", "label": a.name} for a in partner_agencies],
        },
    }
