"""Reads of the clerical review of identity links, on top of the privacy selectors.

A reviewer sees a pair only when the disclosure policy lets them see the identity of both
records (privacy.selectors.visible_persons); every pair opened is an audited read of both
records. Who may review: agency admins and supervisors (REVIEWER_ROLES), the people who answer
for their agency's records; see docs/identity-resolution.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from coresponse.agencies.models import Role
from coresponse.people.identity import cluster_of, humans
from coresponse.people.linkage.model import Evidence, Model, Scored
from coresponse.people.linkage.records import PERSON_FIELDS, person_record
from coresponse.people.matching import current_model
from coresponse.people.models import IdentityLink, LinkStatus, Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import Purpose
from coresponse.privacy.selectors import disclose_person, memberships, visible_persons
from coresponse.privacy.services import record

REVIEWER_ROLES = frozenset({Role.AGENCY_ADMIN, Role.SUPERVISOR})


def may_review(user) -> bool:
    return any(m.role in REVIEWER_ROLES for m in memberships(user))


def reviewable_links(user, statuses=(LinkStatus.REVIEW,)) -> QuerySet[IdentityLink]:
    """Links of the given statuses whose two records the user may both see, most probable
    first."""
    if not may_review(user):
        return IdentityLink.objects.none()
    visible = visible_persons(user).values("pk")
    return (
        IdentityLink.objects.filter(status__in=statuses)
        .filter(person_a__in=visible, person_b__in=visible)
        .select_related("person_a__agency", "person_b__agency", "model", "decided_by")
        .order_by("-score", "id")
    )


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    confirmed: int
    rejected: int
    automatic: int
    records: int  # records the reviewer may see
    people: int  # the humans they make (linked records count once)


def queue_counts(user) -> QueueCounts:
    links = reviewable_links(user, tuple(LinkStatus))
    by_status = dict(links.order_by().values_list("status").annotate(n=Count("id")))
    ids = list(visible_persons(user).values_list("pk", flat=True))
    people = len(set(humans(ids).values()))
    return QueueCounts(
        waiting=by_status.get(LinkStatus.REVIEW, 0),
        confirmed=by_status.get(LinkStatus.CONFIRMED, 0),
        rejected=by_status.get(LinkStatus.REJECTED, 0),
        automatic=by_status.get(LinkStatus.AUTO, 0),
        records=len(ids),
        people=people,
    )


def next_link(user, after: int | None = None, skipped=()) -> IdentityLink | None:
    """The next pair waiting for review (after the one just decided or skipped)."""
    links = reviewable_links(user)
    if skipped:
        links = links.exclude(pk__in=list(skipped))
    if after is not None:
        links = links.exclude(pk=after)
    return links.first()


# --- one pair, side by side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side comparison."""

    label: str
    left: str
    right: str
    state: str  # agree | close | differ | missing | info
    evidence: tuple[Evidence, ...] = ()

    @property
    def state_text(self) -> str:
        if self.state == "missing":
            blank = (self.left == "—") + (self.right == "—")
            return ("Not compared", "Missing on one side", "Missing on both sides")[blank]
        return {
            "agree": "Agree",
            "close": "Nearly agree",
            "differ": "Disagree",
            "info": "",
        }[self.state]


@dataclass(frozen=True)
class Reason:
    """One comparison's part in the score, in words."""

    title: str
    label: str
    weight: float

    @property
    def effect(self) -> str:
        factor = 2 ** abs(self.weight)
        times = f"{factor:,.0f}" if factor >= 10 else f"{factor:.1f}"
        if abs(self.weight) < 0.05:
            return "makes no difference"
        more = "more" if self.weight > 0 else "less"
        return f"makes a match {times} times {more} likely"

    @property
    def direction(self) -> str:
        return "for" if self.weight > 0 else "against"


@dataclass(frozen=True)
class PairView:
    link: IdentityLink
    left: Person
    right: Person
    rows: list[Row]
    scored: Scored
    reasons: list[Reason]
    prior_odds: int  # before comparing: one pair of records in this many is one human
    model_version: int | None

    @property
    def percent(self) -> str:
        value = self.link.score * 100
        return f"{value:.0f}%" if 1 <= value <= 99 else f"{value:.1f}%"


def _state(evidence: list[Evidence]) -> str:
    shown = [e for e in evidence if not e.missing]
    if not shown:
        return "missing"
    if any(e.weight < 0 for e in shown):
        return "differ"
    if all(e.level == 1 for e in shown):
        return "agree"
    return "close"


def _address(person: Person) -> str:
    return person.address or ""


ROWS = (
    ("First name", ("first_name",), lambda p: p.first_name),
    ("Last name", ("last_name",), lambda p: p.last_name),
    ("Date of birth", ("dob",), lambda p: p.dob.strftime("%b %-d, %Y") if p.dob else ""),
    ("Sex", ("sex",), lambda p: p.get_sex_display() if p.sex else ""),
    ("Phone", ("phone",), lambda p: p.phone),
    ("Address", ("address", "postcode", "locality"), _address),
)


def _model_for(link: IdentityLink) -> Model:
    if link.model is not None:
        row = link.model
        return Model(
            row.parameters,
            version=row.version,
            pk=row.pk,
            auto_threshold=row.auto_threshold,
            review_threshold=row.review_threshold,
        )
    return current_model()


def score_pair(left: Person, right: Person, model: Model) -> Scored:
    def values(person):
        return {name: getattr(person, name) for name in PERSON_FIELDS}

    return model.score(person_record(values(left)), person_record(values(right)))


def pair_view(user, link_id, statuses=tuple(LinkStatus)) -> PairView:
    """One pair for a reviewer, side by side; Http404 when there is no such pair or the
    reviewer may not see both records. Opening it is an audited read of both records."""
    try:
        link = reviewable_links(user, statuses).get(pk=int(link_id))
    except (IdentityLink.DoesNotExist, ValueError, TypeError):
        record(
            user,
            "read",
            object_type="identity_link",
            object_id=str(link_id)[:64],
            detail="refused: no such pair or a record not visible to the reviewer",
        )
        raise Http404("No pair found matching the query") from None
    left, right = link.person_a, link.person_b
    for person, other in ((left, right), (right, left)):
        disclose_person(
            user,
            person,
            [DataCategory.IDENTITY],
            detail=f"identity review: pair {link.pk} with record {other.pk}",
            purpose=Purpose.OPERATIONS,
        )
    model = _model_for(link)
    scored = score_pair(left, right, model)
    by_name = {e.comparison: e for e in scored.evidence}
    rows = []
    for label, comparisons, show in ROWS:
        evidence = [by_name[name] for name in comparisons if name in by_name]
        rows.append(
            Row(label, show(left) or "—", show(right) or "—", _state(evidence), tuple(evidence))
        )
    rows.append(Row("Held by", left.agency.name, right.agency.name, "info"))
    rows.append(Row("Record", left.external_id, right.external_id, "info"))
    reasons = [
        Reason(e.title, e.label, e.weight)
        for e in sorted(scored.evidence, key=lambda e: -abs(e.weight))
        if not e.missing
    ]
    prior = model.parameters["prior"]
    return PairView(link, left, right, rows, scored, reasons, round(1 / prior), model.version)


# --- a cluster (one human's records) -------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    person: Person | None  # None: a record of the cluster the reviewer may not see
    agency: str


@dataclass(frozen=True)
class ClusterView:
    person: Person
    members: list[Member]  # visible ones first
    links: list[IdentityLink]  # between visible members
    hidden: int  # members the reviewer may not see


def cluster_view(user, person_id) -> ClusterView:
    """Every record of the human `person_id` belongs to, as far as the reviewer may see."""
    if not may_review(user):
        raise Http404("No person found matching the query")
    visible = visible_persons(user)
    try:
        person = visible.get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("No person found matching the query") from None
    ids = cluster_of(person.pk)
    shown = list(visible.filter(pk__in=ids).order_by("agency__name", "id"))
    shown_ids = {p.pk for p in shown}
    hidden = Person.objects.filter(pk__in=ids - shown_ids).select_related("agency")
    members = [Member(p, p.agency.name) for p in shown]
    members += [Member(None, p.agency.name) for p in hidden.order_by("agency__name", "id")]
    links = list(
        IdentityLink.objects.filter(person_a_id__in=shown_ids, person_b_id__in=shown_ids)
        .filter(Q(status__in=[LinkStatus.AUTO, LinkStatus.CONFIRMED, LinkStatus.REVIEW]))
        .select_related("person_a__agency", "person_b__agency")
        .order_by("-score")
    )
    for p in shown:
        disclose_person(
            user,
            p,
            [DataCategory.IDENTITY],
            detail=f"identity review: the records of one human (record {person.pk})",
            purpose=Purpose.OPERATIONS,
        )
    return ClusterView(person, members, links, len(members) - len(shown))
