"""Reads of person data, already filtered by the disclosure policy and written to the audit chain.

Every page that shows anything of a person record asks here: which records the viewer may see
(`visible_persons`, `person_for`), which categories of one record are shown and why
(`disclose`, `disclose_person`), and what name to print for a list of records (`label_persons`).
A record the viewer may not see raises the same `Http404` as one that does not exist, so ids
cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from coresponse.agencies.models import Agency, Membership
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.policy import Decision, decide
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
    """The signed-in user with memberships (and their agencies) loaded once for the request.

    Idempotent: a second call costs no query, so every selector may call it.
    """
    if getattr(user, "is_authenticated", False):
        prefetch_related_objects(
            [user],
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("agency").order_by("id"),
            ),
        )
    return user


def memberships(user) -> list[Membership]:
    """The user's memberships in a stable order (the first is the primary one)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(viewer(user).memberships.all())


def user_agency_ids(user) -> set[int]:
    return {m.agency_id for m in memberships(user)}


def agencies_allowing(user, category: str) -> set[int]:
    """The agencies whose records the policy lets `user` see `category` of."""
    return {a for a in user_agency_ids(user) if decide(user, a, category)}


def visible_persons(user) -> QuerySet[Person]:
    """Person records the user may see: owned by one of their agencies, identity allowed.

    There is no cross-agency person data yet: a record another agency owns is never listed.
    """
    return Person.objects.filter(
        agency_id__in=agencies_allowing(user, DataCategory.IDENTITY)
    ).select_related("agency")


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

    def __getitem__(self, category: str) -> Shown:  # templates: disclosure.mental_health
        return self.get(category)


def decide_all(user, owner_agency_id: int | None, categories: Iterable[str], fallback=()):
    """The policy's decision for each category.

    `owner_agency_id` is the agency that owns the record. Data tied to no person record (an
    encounter whose person was never identified) has no owner: then each category is decided
    against the `fallback` agencies (e.g. the program's partners) and the first that allows wins.
    """
    viewer(user)
    decisions = {}
    for category in categories:
        if owner_agency_id is not None:
            decisions[category] = decide(user, owner_agency_id, category)
            continue
        candidates = [decide(user, a, category) for a in sorted(fallback)]
        allowed = [d for d in candidates if d.allowed]
        if allowed:
            decisions[category] = Decision(
                True, f"no person record is linked; {allowed[0].reason} (a program partner)"
            )
        else:
            denied = candidates[0].reason if candidates else "no owning agency on record"
            decisions[category] = Decision(False, denied)
    return decisions


def disclose(
    user,
    owner_agency_id: int | None,
    categories: Iterable[str],
    *,
    object_type: str,
    object_id,
    detail: str,
    fallback_agency_ids=(),
) -> Disclosure:
    """Decide each category of one record for `user` and write the read to the audit chain.

    The audit event lists the categories that were shown (possibly none: opening a record whose
    person data is all withheld is still an access worth accounting for).
    """
    disclosure = Disclosure(
        owner_agency_id, decide_all(user, owner_agency_id, categories, fallback_agency_ids)
    )
    record(
        user,
        "read",
        object_type=object_type,
        object_id=object_id,
        categories=disclosure.shown_categories,
        detail=detail,
    )
    return disclosure


def disclose_person(
    user, person: Person, categories: Iterable[str] = ALL_CATEGORIES, detail: str = "person page"
) -> Disclosure:
    """For a person record and a viewer: each category shown or withheld, with why; audited."""
    return disclose(
        user,
        person.agency_id,
        categories,
        object_type="person",
        object_id=person.pk,
        detail=detail,
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
    """Names for a list of records, decided per owning agency, with one audit event for the list.

    `persons` should come with `agency` selected (no query is made here but the audit write).
    """
    viewer(user)
    labels: dict[int, PersonLabel] = {}
    decisions: dict[int, Decision] = {}
    for person in persons:
        if person is None or person.pk in labels:
            continue
        if person.agency_id not in decisions:
            decisions[person.agency_id] = decide(user, person.agency_id, DataCategory.IDENTITY)
        decision = decisions[person.agency_id]
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
