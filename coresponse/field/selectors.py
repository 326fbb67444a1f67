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
from django.urls import reverse

from coresponse.agencies.models import Agency
from coresponse.dispatch.models import Assignment
from coresponse.dispatch.selectors import duty_for, partner_programs
from coresponse.dispatch.services.board import next_statuses
from coresponse.dispatch.templatetags.dispatch_board import MOVE_LABELS
from coresponse.field.models import (
    Concern,
    ConflictStatus,
    Disposition,
    Encounter,
    EncounterConflict,
    EncounterNote,
    Service,
)
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
    decisions = decide_all(user, owner, NOTE_ORDER, fallback, person_id=encounter.person_id)
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
        person_ids=[person.pk] if person and used else [],
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


# --- the field app: a record as a device edits it -------------------------------------------------

FLAG_FIELDS = tuple(name for name, _ in JUSTICE_OUTCOMES + HEALTH_OUTCOMES)
_JUSTICE = frozenset(name for name, _ in JUSTICE_OUTCOMES)
_HEALTH = frozenset(name for name, _ in HEALTH_OUTCOMES)


def key_category(key: str) -> str | None:
    """The data category that governs a key of an encounter record (None: operational data
    everyone who may see the encounter sees, i.e. services and disposition)."""
    if key.startswith("notes."):
        return key.removeprefix("notes.")
    if key == "presenting_concerns":
        return C.MENTAL_HEALTH
    if key in _JUSTICE:
        return C.CRIMINAL_JUSTICE
    if key in _HEALTH:
        return C.MEDICAL
    if key.startswith("person"):
        return C.IDENTITY
    return None


def snapshot(encounter: Encounter) -> dict:
    """The encounter as a flat record: outcome fields, `notes.<category>` texts, person id."""
    data = {
        "person_id": encounter.person_id,
        "presenting_concerns": list(encounter.presenting_concerns or []),
        "services": list(encounter.services or []),
        "disposition": encounter.disposition,
        **{name: bool(getattr(encounter, name)) for name in FLAG_FIELDS},
    }
    notes = {n.category: n.text for n in EncounterNote.objects.filter(encounter=encounter)}
    for category in NOTE_ORDER:
        data[f"notes.{category}"] = notes.get(category, "")
    return data


def _owner_and_fallback(encounter: Encounter) -> tuple[int | None, list[int]]:
    person = encounter.person
    fallback = list(encounter.program.agencies.values_list("id", flat=True))
    return (person.agency_id if person else None), fallback


def writable_categories(user, encounter: Encounter | None = None, *, owner=None) -> set[str]:
    """The data categories `user` may see, and so record, of this encounter's person (of a
    new record held by `owner`)."""
    fallback: list[int] = []
    person_id = None
    if encounter is not None:
        owner, fallback = _owner_and_fallback(encounter)
        person_id = encounter.person_id
    decisions = decide_all(user, owner, NOTE_ORDER, fallback, person_id=person_id)
    return {c for c, d in decisions.items() if d.allowed}


def may_edit(user, encounter: Encounter) -> bool:
    """Who recorded it, or a member of a team sent to its call, while the encounter is one
    of their partner programs'."""
    if not visible_encounters(user).filter(pk=encounter.pk).exists():
        return False
    if encounter.recorded_by_id == user.pk:
        return True
    if encounter.call_id is None:
        return False
    return Assignment.objects.filter(call_id=encounter.call_id, team__members=user).exists()


def device_record(user, encounter: Encounter, *, detail: str, audit: bool = True) -> dict:
    """What the field app keeps of an encounter on the device: the keys the viewer may see
    (others are listed as withheld, never sent), the version it edits. The read is audited."""
    allowed = writable_categories(user, encounter)
    data = snapshot(encounter)
    shown, withheld = {}, []
    for key, value in data.items():
        if key == "person_id":
            continue
        category = key_category(key)
        if category is not None and category not in allowed:
            withheld.append(key)
            continue
        if key == "presenting_concerns" and C.SUBSTANCE_USE not in allowed:
            value = [v for v in value if v != Concern.SUBSTANCE_USE]
        shown[key] = value
    person = encounter.person
    person_data = None
    if person is not None:
        person_data = {"id": person.pk, "shown": C.IDENTITY in allowed}
        if person_data["shown"]:
            person_data.update(
                name=person.display_name,
                first_name=person.first_name,
                last_name=person.last_name,
                dob=person.dob.isoformat() if person.dob else None,
                held_by=person.agency.name,
            )
        else:
            person_data["held_by"] = person.agency.name
    if audit:
        used = {key_category(k) for k in shown} - {None}
        if person_data and person_data["shown"]:
            used.add(C.IDENTITY)
        record(
            user,
            "read",
            object_type="encounter",
            object_id=encounter.pk,
            categories=sorted(used),
            detail=detail,
            person_ids=[person.pk] if person is not None and C.IDENTITY in used else [],
        )
    return {
        "id": encounter.pk,
        "client_id": str(encounter.client_id) if encounter.client_id else None,
        "external_id": encounter.external_id,
        "kind": encounter.kind,
        "call_id": encounter.call_id,
        "program_id": encounter.program_id,
        "version": encounter.version,
        "updated_at": encounter.updated_at.isoformat() if encounter.updated_at else None,
        "person": person_data,
        "values": shown,
        "withheld": sorted(withheld),
        "writable": sorted(allowed),
        "editable": may_edit(user, encounter),
        # Changes of this user's kept apart from the server's, waiting to be reconciled.
        "conflicts": [
            {"id": pk, "url": reverse("field_app:reconcile", args=[pk])}
            for pk in EncounterConflict.objects.filter(
                encounter=encounter, raised_by=user, status=ConflictStatus.OPEN
            ).values_list("pk", flat=True)
        ],
    }


def open_conflicts(user) -> QuerySet[EncounterConflict]:
    """The conflicts the user raised that wait for them."""
    return (
        EncounterConflict.objects.filter(raised_by=user, status=ConflictStatus.OPEN)
        .select_related("encounter__call", "encounter__person__agency", "encounter__program")
        .order_by("raised_at")
    )


def conflict_for(user, conflict_id) -> EncounterConflict:
    """A conflict the user raised, or one on an encounter they may edit (a supervisor's); 404
    otherwise, like a missing one."""
    try:
        conflict = EncounterConflict.objects.select_related(
            "encounter__call", "encounter__person__agency", "encounter__program", "raised_by"
        ).get(pk=int(conflict_id))
    except (EncounterConflict.DoesNotExist, ValueError, TypeError):
        raise Http404("No conflict found matching the query") from None
    if conflict.raised_by_id != user.pk and not may_edit(user, conflict.encounter):
        raise Http404("No conflict found matching the query")
    return conflict


KEY_LABELS = {
    "presenting_concerns": "Presenting concerns",
    "services": "Services provided",
    "disposition": "Disposition",
    **dict(JUSTICE_OUTCOMES + HEALTH_OUTCOMES),
    **{f"notes.{c}": NOTE_LABELS.get(c, C(c).label) for c in NOTE_ORDER},
}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key.replace("_", " ").capitalize())


def value_text(key: str, value) -> str:
    """A key's value in words, for the reconcile page."""
    if key in FLAG_FIELDS:
        return "Yes" if value else "No"
    if key == "disposition":
        return _label(Disposition, value) if value else "None recorded"
    if key == "presenting_concerns":
        return ", ".join(_label(Concern, v) for v in value) if value else "None"
    if key == "services":
        return ", ".join(_label(Service, v) for v in value) if value else "None"
    return value or "(empty)"


@dataclass(frozen=True)
class ConflictRow:
    key: str
    label: str
    base: str
    server: str
    device: str
    server_changed: bool
    device_changed: bool
    shown: bool  # False: the viewer may not see this key's category; the server's value stays
    reason: str = ""

    @property
    def suggested(self) -> str:
        """Pre-selected when only one side changed it; none when both did."""
        if self.server_changed and not self.device_changed:
            return "server"
        if self.device_changed and not self.server_changed:
            return "device"
        return ""


def conflict_rows(user, conflict: EncounterConflict) -> list[ConflictRow]:
    """The differing keys of a conflict as the viewer may see them; the read is audited."""
    encounter = conflict.encounter
    owner, fallback = _owner_and_fallback(encounter)
    decisions = decide_all(user, owner, NOTE_ORDER, fallback, person_id=encounter.person_id)
    rows, used = [], set()
    for key in conflict.fields:
        category = key_category(key)
        decision = decisions.get(category) if category else None
        if decision is not None and not decision.allowed:
            rows.append(ConflictRow(key, key_label(key), "", "", "", True, True, False,
                                    decision.reason))  # fmt: skip
            continue
        if category:
            used.add(category)
        base = conflict.base.get(key)
        server = conflict.server.get(key)
        device = conflict.device.get(key)
        rows.append(
            ConflictRow(
                key,
                key_label(key),
                value_text(key, base) if conflict.base else "(not kept)",
                value_text(key, server),
                value_text(key, device),
                server_changed=server != base,
                device_changed=device != base,
                shown=True,
            )
        )
    record(
        user,
        "read",
        object_type="encounter_conflict",
        object_id=conflict.pk,
        categories=sorted(used),
        detail=f"reconcile page of encounter {encounter.external_id}",
        person_ids=[encounter.person_id] if encounter.person_id else [],
    )
    return rows


# --- the field app: the team's current call -------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def assignment_json(user, assignment, encounters: list[Encounter]) -> dict:
    """One open assignment of the user's team as the field app shows it: the call (address,
    what was reported, the triage), the status buttons, the stamps, the call's encounters the
    user may see (each as `device_record`), and `alert_query`: the person details the app may
    send to the crisis alert lookup (the lead's /api/v1/alerts/lookup)."""
    call = assignment.call
    triage = getattr(call, "triage", None)
    records = [
        device_record(user, e, detail=f"field app: call {call.external_id}") for e in encounters
    ]
    query = {"address": call.address, "call_id": call.pk}
    shown = [r["person"] for r in records if r["person"] and r["person"]["shown"]]
    if shown:
        query.update(
            first_name=shown[0]["first_name"], last_name=shown[0]["last_name"], dob=shown[0]["dob"]
        )
    return {
        "id": assignment.pk,
        "status": assignment.status,
        "status_label": assignment.get_status_display(),
        "team": {
            "id": assignment.team_id,
            "name": assignment.team.name,
            "kind": assignment.team.kind,
            "program": assignment.team.program.name,
        },
        "moves": [{"status": s, "label": MOVE_LABELS.get(s, s)} for s in next_statuses(assignment)],
        "stamps": {
            "dispatched_at": _iso(assignment.dispatched_at),
            "en_route_at": _iso(assignment.en_route_at),
            "on_scene_at": _iso(assignment.on_scene_at),
            "officer_cleared_at": _iso(assignment.officer_cleared_at),
            "cleared_at": _iso(assignment.cleared_at),
        },
        "call": {
            "id": call.pk,
            "external_id": call.external_id,
            "call_type": call.call_type,
            "priority": call.priority,
            "source": call.get_source_display(),
            "received_at": _iso(call.received_at),
            "address": call.address,
            "district": call.district,
            "latitude": call.latitude,
            "longitude": call.longitude,
            "narrative": call.narrative,
            "frequent_caller": call.frequent_caller,
            "triage": {
                "recommendation": triage.recommendation,
                "label": triage.get_recommendation_display(),
                "explanation": triage.explanation,
            }
            if triage
            else None,
        },
        "encounters": records,
        # The crisis alert panel: the field app asks the lead's lookup with these (only what
        # this user may see of the person), and shows the answer in the marked panel.
        "alert_query": query,
    }


def field_work(user) -> dict:
    """The user's teams now: each open assignment (as `assignment_json`) and the idle teams
    with their shift; the page-outs waiting for the user's answer."""
    duty = duty_for(user)
    if duty is None:
        return {"on_team": False, "assignments": [], "teams": [], "pages": []}
    call_ids = [t.assignment.call_id for t in duty.out]
    by_call: dict[int, list[Encounter]] = {}
    for encounter in (
        visible_encounters(user).filter(call_id__in=call_ids).select_related("person__agency")
    ):
        by_call.setdefault(encounter.call_id, []).append(encounter)
    return {
        "on_team": True,
        "assignments": [
            assignment_json(user, t.assignment, by_call.get(t.assignment.call_id, []))
            for t in duty.out
        ],
        "teams": [
            {
                "name": t.team.name,
                "status": t.status,
                "status_label": t.status_label,
                "shift_ends": _iso(t.shift.ends_at) if t.shift else None,
                "next_shift": _iso(t.next_shift.starts_at) if t.next_shift else None,
                "on_call": t.on_call,
            }
            for t in duty.teams
        ],
        "pages": [
            {"id": p.pk, "call": p.assignment.call.external_id, "paged_at": _iso(p.paged_at)}
            for p in duty.pages
        ],
    }
