"""Reads of person data, already filtered by the disclosure policy and written to the audit chain.

Every page that shows anything of a person record asks here: which records the viewer may see
(`visible_persons`, `person_for`), which categories of one record are shown and why
(`disclose`, `disclose_person`), and what name to print for a list of records (`label_persons`).
A record the viewer may not see raises the same `Http404` as one that does not exist, so ids
cannot be probed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from coresponse.agencies.models import Agency, AgencyKind, Membership, Role
from coresponse.people.identity import cluster_of
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import (
    AuditEvent,
    BreakGlass,
    Consent,
    Purpose,
    SharingAgreement,
    covering,
)
from coresponse.privacy.policy import Decision, access, active_consents, decide, recipient_q
from coresponse.privacy.services import record

# 42 CFR § 2.32(a)(1), the notice that must accompany each disclosure of a Part 2 record.
PART2_REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, in any civil, criminal, "
    "administrative, or legislative proceedings by any Federal, State, or local authority, "
    "against the patient, unless authorized by the consent of the patient, except as provided at "
    "42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In "
    "addition, the Federal rules prohibit you from making any other use or disclosure of this "
    "record unless at least one of the following applies: Further use or disclosure is expressly "
    "permitted by the written consent of the individual whose information is being disclosed in "
    "this record or as otherwise permitted by 42 CFR part 2. You are a covered entity or business "
    "associate and have received the record for treatment, payment, or health care operations, "
    "or You have received the record from a covered entity or business associate as permitted by "
    "45 CFR part 164, subparts A and E. A general authorization for the release of medical or "
    "other information is NOT sufficient to meet the required elements of written consent to "
    "further use or redisclose the record (see 42 CFR 2.31)."
)

ALL_CATEGORIES = tuple(DataCategory.values)
_DETAIL_LIMIT = 500


def viewer(user):
    """The signed-in user with their standing (memberships, agreements in force, open
    break-glass) loaded once for the request. Idempotent: every selector may call it."""
    access(user)
    return user


def memberships(user) -> list[Membership]:
    """The user's memberships in a stable order (the first is the primary one)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return access(user).memberships


def user_agency_ids(user) -> set[int]:
    return {m.agency_id for m in memberships(user)}


def agencies_allowing(user, category: str) -> set[int]:
    """The agencies whose records the policy lets `user` see `category` of, by ownership or
    agreement (consent and break-glass are per person: see visible_persons)."""
    standing = access(user)
    owners = user_agency_ids(user) | {owner for owner, _ in standing.agreements}
    return {a for a in owners if decide(user, a, category)}


def visible_persons(user, category: str = DataCategory.IDENTITY) -> QuerySet[Person]:
    """Person records whose `category` (identity: the record itself) the user may see: held by
    their agency, shared by an agreement, covered by the person's consent, or opened with
    break-glass. One query; the decision per record is the policy's (decide)."""
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    standing = access(user)
    q = Q(agency_id__in=agencies_allowing(user, category))
    consented = (
        active_consents(standing.now)
        .filter(recipient_q(standing), covering("categories", category))
        .filter(from_agency_id=F("person__agency_id"))
        .values("person_id")
    )
    q |= Q(pk__in=consented)
    if standing.grants:
        q |= Q(pk__in=[pid for pid in standing.grants if decide(user, None, category, pid)])
    return Person.objects.filter(q).select_related("agency")


def search_persons(user, q: str = "") -> QuerySet[Person]:
    """Visible records whose names contain every word of `q` (or whose id is `q`)."""
    persons = visible_persons(user)
    words = q.split()
    if words:
        match = Q()
        for word in words[:5]:
            match &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        persons = persons.filter(match | Q(external_id__iexact=q.strip()))
    return persons.order_by("last_name", "first_name", "id")


def person_for(user, person_id) -> Person:
    """The record, or Http404 both when it does not exist and when the user may not see it."""
    try:
        return visible_persons(user).get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError):
        record(
            user,
            "read",
            object_type="person",
            object_id=str(person_id)[:64],
            categories=[],
            detail="refused: no such record or not visible to the viewer",
        )
        raise Http404("No person found matching the query") from None


@dataclass(frozen=True)
class Shown:
    """One category of one record: shown or withheld, and the policy's reason."""

    category: str
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def reason(self) -> str:
        return self.decision.reason

    @property
    def label(self) -> str:
        return DataCategory(self.category).label


@dataclass
class Disclosure:
    """What a viewer is shown of one record, category by category, with reasons."""

    owner_agency_id: int | None
    decisions: dict[str, Decision] = field(default_factory=dict)

    def allows(self, category: str) -> bool:
        decision = self.decisions.get(category)
        return bool(decision and decision.allowed)

    def get(self, category: str) -> Shown:
        return Shown(category, self.decisions[category])

    @property
    def shown_categories(self) -> list[str]:
        return sorted(c for c, d in self.decisions.items() if d.allowed)

    @property
    def part2(self) -> bool:
        """A substance-use record is shown: the 42 CFR 2.32 notice must go with it."""
        return self.allows(DataCategory.SUBSTANCE_USE)

    @property
    def emergency(self) -> bool:
        """Something is shown only because of break-glass: the page says so, loudly."""
        return any(d.allowed and d.loud for d in self.decisions.values())

    def __getitem__(self, category: str) -> Shown:  # templates: disclosure.mental_health
        return self.get(category)


def decide_all(
    user,
    owner_agency_id: int | None,
    categories: Iterable[str],
    fallback=(),
    *,
    person_id: int | None = None,
    purpose: str | None = None,
):
    """The policy's decision for each category.

    `owner_agency_id` is the agency that owns the record (`person_id` the person record, so the
    person's consent and break-glass count). Data tied to no person record (an encounter whose
    person was never identified) has no owner: then each category is decided against the
    `fallback` agencies (e.g. the program's partners) and the first that allows wins.
    """
    viewer(user)
    decisions = {}
    for category in categories:
        if owner_agency_id is not None:
            decisions[category] = decide(user, owner_agency_id, category, person_id, purpose)
            continue
        candidates = [decide(user, a, category, None, purpose) for a in sorted(fallback)]
        allowed = [d for d in candidates if d.allowed]
        if allowed:
            decisions[category] = Decision(
                True,
                f"no person record is linked; {allowed[0].reason} (a program partner)",
                allowed[0].basis,
                allowed[0].source_id,
            )
        else:
            denied = candidates[0].reason if candidates else "no owning agency on record"
            decisions[category] = Decision(False, denied)
    return decisions


def bases(disclosure: Disclosure) -> str:
    """The audit's short account of why each shown category was shown."""
    parts = []
    for category in disclosure.shown_categories:
        d = disclosure.decisions[category]
        parts.append(f"{category}: {d.basis}" + (f" #{d.source_id}" if d.source_id else ""))
    return "; ".join(parts)


def disclose(
    user,
    owner_agency_id: int | None,
    categories: Iterable[str],
    *,
    object_type: str,
    object_id,
    detail: str,
    fallback_agency_ids=(),
    person_id: int | None = None,
    purpose: str | None = None,
) -> Disclosure:
    """Decide each category of one record for `user` and write the read to the audit chain.

    The audit event lists the categories that were shown (possibly none: opening a record whose
    person data is all withheld is still an access worth accounting for) and why.
    """
    disclosure = Disclosure(
        owner_agency_id,
        decide_all(
            user,
            owner_agency_id,
            categories,
            fallback_agency_ids,
            person_id=person_id,
            purpose=purpose,
        ),
    )
    record(
        user,
        "read",
        object_type=object_type,
        object_id=object_id,
        categories=disclosure.shown_categories,
        detail=detail,
        person_ids=[person_id] if person_id is not None else [],
        purpose=purpose or "",
        reason=bases(disclosure),
    )
    return disclosure


def disclose_person(
    user,
    person: Person,
    categories: Iterable[str] = ALL_CATEGORIES,
    detail: str = "person page",
    purpose: str | None = None,
) -> Disclosure:
    """For a person record and a viewer: each category shown or withheld, with why; audited."""
    return disclose(
        user,
        person.agency_id,
        categories,
        object_type="person",
        object_id=person.pk,
        detail=detail,
        person_id=person.pk,
        purpose=purpose,
    )


@dataclass(frozen=True)
class PersonLabel:
    """How a list prints a person: the name if identity may be shown, else who holds the record."""

    person_id: int | None
    text: str
    shown: bool
    reason: str

    def __str__(self) -> str:
        return self.text


NO_PERSON = PersonLabel(None, "No person recorded", False, "no person record is linked")


def _held_by(agency: Agency | None) -> str:
    return f"Person record held by {agency.name}" if agency else "Person record held elsewhere"


def label_persons(user, persons: Iterable[Person | None], *, detail: str) -> dict[int, PersonLabel]:
    """Names for a list of records, each decided by the policy, with one audit event for the
    list. `persons` should come with `agency` selected (the queries made here are the
    consents of the listed persons and the audit write)."""
    persons = [p for p in persons if p is not None]
    access(user).load_consents(p.pk for p in persons)
    labels: dict[int, PersonLabel] = {}
    for person in persons:
        if person.pk in labels:
            continue
        decision = decide(user, person.agency_id, DataCategory.IDENTITY, person.pk)
        text = person.display_name if decision.allowed else _held_by(person.agency)
        labels[person.pk] = PersonLabel(person.pk, text, decision.allowed, decision.reason)
    shown = [pid for pid, label in labels.items() if label.shown]
    if shown:
        record(
            user,
            "read",
            object_type="person",
            object_id="",
            categories=[DataCategory.IDENTITY],
            detail=_ids_detail(detail, shown),
            person_ids=shown,
        )
    return labels


def _ids_detail(prefix: str, ids: list[int]) -> str:
    text = f"{prefix}: persons "
    for i, pid in enumerate(ids):
        piece = (", " if i else "") + str(pid)
        rest = len(ids) - i
        if len(text) + len(piece) + len(f" (+{rest} more)") > _DETAIL_LIMIT:
            return text + f" (+{rest} more)"
        text += piece
    return text


# --- consents, agreements, break-glass and the accounting of disclosures ----------------------

CONSENT_ROLES = frozenset(
    {
        Role.CLINICIAN,
        Role.CASE_MANAGER,
        Role.PEER_SPECIALIST,
        Role.PARAMEDIC,
        Role.SUPERVISOR,
        Role.AGENCY_ADMIN,
    }
)
ACCOUNTING_ROLES = frozenset({Role.AUDITOR, Role.AGENCY_ADMIN})


def roles_at(user, agency_id: int) -> set[str]:
    return {m.role for m in memberships(user) if m.agency_id == agency_id}


def may_manage_consents(user, person: Person) -> bool:
    """Staff of the agency that holds the record record and revoke its consents (the police
    never take a health consent for a clinic's record)."""
    agency = person.agency
    return bool(roles_at(user, person.agency_id) & CONSENT_ROLES) and (
        agency.kind != AgencyKind.LAW_ENFORCEMENT
    )


@dataclass
class ConsentRow:
    consent: Consent
    state: str
    categories: list[str]
    purposes: list[str]


def consents_of(user, person: Person) -> list[ConsentRow]:
    """The record's consents, newest first, with their state now; for the holding agency's
    staff (others see none: a consent itself says what kind of care a person gets)."""
    if not roles_at(user, person.agency_id):
        return []
    now = timezone.now()
    rows = Consent.objects.filter(person=person).select_related(
        "to_agency", "revoked_by", "created_by"
    )
    return [
        ConsentRow(
            c,
            c.state_at(now),
            [DataCategory(x).label for x in c.categories],
            [Purpose(x).label for x in c.purposes],
        )
        for c in rows
    ]


def consent_for(user, consent_id) -> Consent:
    """A consent of a record the user's agency holds, or 404."""
    try:
        consent = Consent.objects.select_related("person__agency").get(pk=int(consent_id))
    except (Consent.DoesNotExist, ValueError, TypeError):
        raise Http404("No consent found matching the query") from None
    if not may_manage_consents(user, consent.person):
        raise Http404("No consent found matching the query")
    return consent


@dataclass
class AccountingRow:
    event: AuditEvent
    who: str
    record: str


def may_account(user, person: Person) -> bool:
    return bool(roles_at(user, person.agency_id) & ACCOUNTING_ROLES)


def accounting(user, person: Person, limit: int | None = 500) -> list[AccountingRow]:
    """Who saw or changed what of this human's records, when and why (42 CFR 2.24, HIPAA
    164.528): every audit event naming one of the records linked to this one, newest first.
    Only an auditor or agency admin of the agency holding the record may ask; 404 otherwise."""
    if not may_account(user, person):
        raise Http404("No person found matching the query")
    records = cluster_of(person.pk)
    holders = dict(Person.objects.filter(pk__in=records).values_list("pk", "agency__name"))
    events = (
        AuditEvent.objects.filter(subjects__person_id__in=records)
        .select_related("actor")
        .prefetch_related("subjects")
        .distinct()
        .order_by("-id")
    )
    if limit:
        events = events[:limit]
    events = list(events)
    actors = {e.actor_id for e in events if e.actor_id}
    where = defaultdict(list)
    for m in Membership.objects.filter(user_id__in=actors).select_related("agency"):
        where[m.user_id].append(f"{m.get_role_display()}, {m.agency.name}")
    rows = []
    for e in events:
        if e.actor_id:
            who = f"{e.actor.get_full_name() or e.actor.username} ({'; '.join(where[e.actor_id])})"
        else:
            who = "System (import, seed or command line)"
        touched = sorted(s.person_id for s in e.subjects.all() if s.person_id in records)
        record_text = ", ".join(
            "this record" if pid == person.pk else f"record {pid} held by {holders.get(pid, '?')}"
            for pid in touched
        )
        rows.append(AccountingRow(e, who, record_text))
    record(
        user,
        "read",
        object_type="accounting",
        object_id=person.pk,
        detail=f"accounting of disclosures: {len(rows)} entries over {len(records)} records",
        person_ids=[person.pk],
        purpose="audit",
    )
    return rows


def agreements_visible(user):
    """The sharing agreements that involve one of the user's agencies, either way."""
    ids = user_agency_ids(user)
    return SharingAgreement.objects.filter(
        Q(from_agency_id__in=ids) | Q(to_agency_id__in=ids)
    ).select_related("from_agency", "to_agency")


def may_edit_agreements(user) -> set[int]:
    """The agencies whose agreements (as the sharing side) the user may add: agency admins."""
    return {m.agency_id for m in memberships(user) if m.role == Role.AGENCY_ADMIN}


def break_glass_queue(user):
    """Openings waiting for an auditor's review, of records the auditor's agency holds or
    opened by its staff; oldest first."""
    ids = {m.agency_id for m in memberships(user) if m.role == Role.AUDITOR}
    if not ids:
        return BreakGlass.objects.none()
    return (
        BreakGlass.objects.filter(reviewed_at__isnull=True)
        .filter(Q(person__agency_id__in=ids) | Q(user__memberships__agency_id__in=ids))
        .select_related("user", "person__agency")
        .distinct()
        .order_by("opened_at")
    )
