"""Reads of encounters, filtered by program partnership, with person data decided by the policy.

A user sees the encounters of programs in which one of their agencies is a partner. What an
encounter shows of its person (name, presenting concerns, outcomes, notes by data category) is
decided category by category by `coresponse.privacy.policy.decide` for the agency that owns the
person record, and each detail read is written to the audit chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404

from coresponse.agencies.models import Agency
from coresponse.dispatch.models import Assignment
from coresponse.dispatch.selectors import partner_programs
from coresponse.field.models import Concern, Encounter, EncounterNote, Service
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.selectors import (
    NO_PERSON,
    PART2_REDISCLOSURE_NOTICE,
    Shown,
    decide_all,
    label_persons,
)
from coresponse.privacy.services import record

C = DataCategory

JUSTICE_OUTCOMES = (
    ("arrest", "Arrest"),
    ("citation", "Citation"),
    ("jail_booking", "Jail booking"),
    ("arrest_eligible", "Arrestable offence present"),
    ("use_of_force", "Use of force"),
    ("weapon_present", "Weapon present"),
)
HEALTH_OUTCOMES = (
    ("er_transport", "Transported to an emergency room"),
    ("hospital_admission", "Admitted to hospital"),
    ("involuntary_hold", "Involuntary hold"),
    ("injuries", "Injuries"),
)
NOTE_ORDER = [c.value for c in DataCategory]


def visible_encounters(user) -> QuerySet[Encounter]:
    return Encounter.objects.filter(program__in=partner_programs(user).values("id")).select_related(
        "program", "call", "person__agency"
    )


def newest_first(encounters: QuerySet[Encounter]) -> QuerySet[Encounter]:
    return encounters.order_by(F("on_scene_at").desc(nulls_last=True), "-id")


def encounter_list(
    user, *, program_id: int | None = None, kind: str = "", disposition: str = ""
) -> QuerySet[Encounter]:
    encounters = visible_encounters(user)
    if program_id:
        encounters = encounters.filter(program_id=program_id)
    if kind:
        encounters = encounters.filter(kind=kind)
    if disposition:
        encounters = encounters.filter(disposition=disposition)
    return newest_first(encounters)


def team_encounters(user) -> QuerySet[Encounter]:
    """Encounters of calls that one of the user's teams was assigned to."""
    calls = Assignment.objects.filter(team__members=user).values("call_id")
    return newest_first(visible_encounters(user).filter(call_id__in=calls))


def encounter_for(user, encounter_id) -> Encounter:
    """The encounter with its notes, or Http404 when missing or not visible (same response)."""
    encounters = visible_encounters(user).prefetch_related(
        Prefetch("notes", queryset=EncounterNote.objects.order_by("id")),
        Prefetch("program__agencies", queryset=Agency.objects.order_by("id")),
    )
    try:
        return encounters.get(pk=int(encounter_id))
    except (Encounter.DoesNotExist, ValueError, TypeError):
        raise Http404("No encounter found matching the query") from None


def with_person_labels(user, encounters: Iterable[Encounter], *, detail: str) -> list[Encounter]:
    """The encounters, each with `person_label`: the name when identity may be shown (audited)."""
    encounters = list(encounters)
    labels = label_persons(user, [e.person for e in encounters], detail=detail)
    for encounter in encounters:
        encounter.person_label = labels.get(encounter.person_id, NO_PERSON)
    return encounters


@dataclass(frozen=True)
class NoteView:
    category: str
    label: str
    text: str | None  # None when withheld
    shown: Shown
    notice: str = ""  # the redisclosure notice that must accompany a Part 2 note


@dataclass(frozen=True)
class OutcomeGroup:
    title: str
    shown: Shown
    rows: tuple  # ((label, bool), ...), empty when withheld


@dataclass(frozen=True)
class EncounterView:
    encounter: Encounter
    identity: Shown | None  # None when no person record is linked
    person_name: str
    person_held_by: str
    services: tuple[str, ...]
    concerns: tuple[str, ...]
    concerns_shown: Shown
    concerns_withheld: int
    outcomes: tuple[OutcomeGroup, ...]
    notes: tuple[NoteView, ...]
    shown_categories: tuple[str, ...]

    @property
    def response_minutes(self) -> int | None:
        e = self.encounter
        if e.call_id and e.call.received_at and e.on_scene_at:
            return round((e.on_scene_at - e.call.received_at).total_seconds() / 60)
        return None

    @property
    def minutes_on_scene(self) -> int | None:
        e = self.encounter
        if e.on_scene_at and e.cleared_at:
            return round((e.cleared_at - e.on_scene_at).total_seconds() / 60)
        return None


def read_encounter(user, encounter: Encounter) -> EncounterView:
    """What `user` is shown of one encounter, category by category; the read is audited."""
    person = encounter.person
    owner = person.agency_id if person else None
    fallback = [a.id for a in encounter.program.agencies.all()]
    decisions = decide_all(user, owner, NOTE_ORDER, fallback)
    shown = {c: Shown(c, d) for c, d in decisions.items()}
    used: set[str] = set()

    identity = shown[C.IDENTITY] if person else None
    person_name = person_held_by = ""
    if person:
        if identity.allowed:
            person_name = person.display_name
            used.add(C.IDENTITY)
        else:
            person_held_by = f"Person record held by {person.agency.name}"

    concerns, withheld = [], 0
    for value in encounter.presenting_concerns or []:
        category = C.SUBSTANCE_USE if value == Concern.SUBSTANCE_USE else C.MENTAL_HEALTH
        if shown[category].allowed:
            concerns.append(_label(Concern, value))
            used.add(category)
        else:
            withheld += 1

    outcomes = []
    for title, category, fields in (
        ("Justice outcomes", C.CRIMINAL_JUSTICE, JUSTICE_OUTCOMES),
        ("Health outcomes", C.MEDICAL, HEALTH_OUTCOMES),
    ):
        rows = ()
        if shown[category].allowed:
            rows = tuple((label, bool(getattr(encounter, name))) for name, label in fields)
            used.add(category)
        outcomes.append(OutcomeGroup(title, shown[category], rows))

    notes = []
    by_category = {n.category: n for n in encounter.notes.all()}
    for category in NOTE_ORDER:
        note = by_category.get(category)
        if note is None:
            continue
        allowed = shown[category].allowed
        if allowed:
            used.add(category)
        notes.append(
            NoteView(
                category=category,
                label=_note_label(category),
                text=note.text if allowed else None,
                shown=shown[category],
                notice=PART2_REDISCLOSURE_NOTICE if allowed and category == C.SUBSTANCE_USE else "",
            )
        )

    record(
        user,
        "read",
        object_type="person" if person else "encounter",
        object_id=person.pk if person else encounter.pk,
        categories=[str(c) for c in used],
        detail=f"encounter {encounter.external_id} detail",
    )
    return EncounterView(
        encounter=encounter,
        identity=identity,
        person_name=person_name,
        person_held_by=person_held_by,
        services=tuple(_label(Service, s) for s in encounter.services or []),
        concerns=tuple(concerns),
        concerns_shown=shown[C.MENTAL_HEALTH],
        concerns_withheld=withheld,
        outcomes=tuple(outcomes),
        notes=tuple(notes),
        shown_categories=tuple(sorted(used)),
    )


NOTE_LABELS = {
    C.IDENTITY: "Identity note",
    C.CONTACT_PLAN: "Contact plan",
    C.MENTAL_HEALTH: "Clinical note",
    C.SUBSTANCE_USE: "Substance-use note",
    C.MEDICAL: "Medical note",
    C.CRIMINAL_JUSTICE: "Criminal-justice note",
}


def _note_label(category: str) -> str:
    return NOTE_LABELS.get(category, DataCategory(category).label)


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()
