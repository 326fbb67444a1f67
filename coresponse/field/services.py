"""Writes of the field app: an encounter recorded on scene, its later edits, and the conflicts
between a device's edits and the server's, each kept until a person reconciles them.

An encounter is edited as a flat record of keys (`snapshot`): its outcome fields, its notes by
data category (`notes.mental_health` ...) and its person. Each save adds 1 to the encounter's
`version` and stores the saved snapshot as a revision, so the base a device edited can be found
again. A device sends the keys it changed and the version it started from:

- the version is still current: the changes are saved;
- the server moved on, but changed none of the keys the device changed: the device's changes
  are saved on top (both sides' changes are kept; nothing is overwritten);
- the server changed one of the same keys: nothing is saved; an `EncounterConflict` keeps the
  base, the server's and the device's versions, and a person chooses key by key
  (`reconcile`).

Who may write which key is the disclosure policy's answer for that key's data category: an
officer records the justice outcomes and a criminal-justice note, never a clinical note. Every
write goes to the audit chain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coresponse.agencies.models import Program, Role
from coresponse.dispatch.models import Assignment
from coresponse.dispatch.selectors import partner_program_ids
from coresponse.dispatch.services import board
from coresponse.field.models import (
    Concern,
    ConflictStatus,
    Disposition,
    Encounter,
    EncounterConflict,
    EncounterKind,
    EncounterNote,
    EncounterRevision,
    RevisionSource,
    Service,
)
from coresponse.field.selectors import (
    HEALTH_OUTCOMES,
    JUSTICE_OUTCOMES,
    NOTE_ORDER,
    key_category,
    may_edit,
    snapshot,
    writable_categories,
)
from coresponse.people.models import Person
from coresponse.people.services import create_person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction
from coresponse.privacy.selectors import memberships, person_for
from coresponse.privacy.services import record

C = DataCategory
FLAG_KEYS = tuple(name for name, _ in JUSTICE_OUTCOMES + HEALTH_OUTCOMES)
RECORD_KEYS = ("presenting_concerns", "services", "disposition", *FLAG_KEYS)
NOTE_KEYS = tuple(f"notes.{c}" for c in NOTE_ORDER)
NOTE_LIMIT = 20_000  # characters in one note
# Roles that record encounters (the team on scene and the care staff who do outreach).
RECORDING_ROLES = frozenset(
    {Role.OFFICER, Role.CLINICIAN, Role.PARAMEDIC, Role.PEER_SPECIALIST, Role.CASE_MANAGER}
)


class RecordError(ValidationError):
    """A field record that cannot be saved as sent: `message_dict` says why, key by key."""


@dataclass(frozen=True)
class Saved:
    encounter: Encounter
    created: bool = False
    merged: bool = False  # saved on top of changes made on the server meanwhile


@dataclass(frozen=True)
class Conflicted:
    conflict: EncounterConflict


# --- values ---------------------------------------------------------------------------------------


def clean_changes(user, encounter: Encounter | None, changes: dict, *, owner=None) -> dict:
    """The keys of `changes` checked and normalised; RecordError lists every problem.

    A key may be written only when the policy lets `user` see its data category for the
    person's record (a new record: the user's own agency holds it)."""
    problems: dict[str, list[str]] = {}
    allowed = writable_categories(user, encounter, owner=owner)
    out = {}
    for key, value in changes.items():
        if key not in RECORD_KEYS and key not in NOTE_KEYS:
            problems.setdefault(key, []).append("is not a field of an encounter")
            continue
        category = key_category(key)
        if category is not None and category not in allowed:
            label = C(category).label.lower()
            problems.setdefault(key, []).append(f"your role may not record {label} data here")
            continue
        try:
            out[key] = _clean_value(key, value, allowed)
        except ValueError as error:
            problems.setdefault(key, []).append(str(error))
    if problems:
        raise RecordError(problems)
    return out


def _clean_value(key: str, value, allowed: set[str]):
    if key.startswith("notes."):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("is not text")
        if len(value) > NOTE_LIMIT:
            raise ValueError(f"is {len(value)} characters long; at most {NOTE_LIMIT} fit")
        return value.strip()
    if key in FLAG_KEYS:
        if not isinstance(value, bool):
            raise ValueError("is not true or false")
        return value
    if key == "disposition":
        if value in (None, ""):
            return ""
        if value not in Disposition.values:
            raise ValueError(f"{value!r} is not a disposition")
        return value
    choices = Concern if key == "presenting_concerns" else Service
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("is not a list of choices")
    bad = [v for v in value if v not in choices.values]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))} not one of: {', '.join(choices.values)}")
    part2 = key == "presenting_concerns" and Concern.SUBSTANCE_USE in value
    if part2 and C.SUBSTANCE_USE not in allowed:
        raise ValueError("your role may not record substance use (42 CFR Part 2) here")
    ordered = [v for v in choices.values if v in value]  # one order, no repeats
    return ordered


def _apply(encounter: Encounter, values: dict, user) -> None:
    """Write keys onto the encounter and its notes (the caller saves the encounter)."""
    for key, value in values.items():
        if key.startswith("notes."):
            category = key.removeprefix("notes.")
            if value:
                EncounterNote.objects.update_or_create(
                    encounter=encounter,
                    category=category,
                    defaults={"text": value, "author": user},
                )
            else:
                EncounterNote.objects.filter(encounter=encounter, category=category).delete()
        elif key == "presenting_concerns":
            # A viewer without Part 2 never saw a substance-use concern: it is kept.
            kept = [c for c in encounter.presenting_concerns or [] if c == Concern.SUBSTANCE_USE]
            merged = set(value) | (set(kept) if Concern.SUBSTANCE_USE not in value else set())
            encounter.presenting_concerns = [c for c in Concern.values if c in merged]
        else:
            setattr(encounter, key, value)
    if encounter.jail_booking and not encounter.arrest:
        raise RecordError({"jail_booking": ["a jail booking needs an arrest"]})


def _revise(encounter: Encounter, user, source: str, at: datetime) -> None:
    encounter.version += 1
    encounter.updated_at = at
    encounter.save()
    EncounterRevision.objects.create(
        encounter=encounter,
        version=encounter.version,
        saved_at=at,
        saved_by=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        snapshot=snapshot(encounter),
    )


def _audit(user, encounter: Encounter, keys, detail: str) -> None:
    categories = sorted({key_category(k) for k in keys} - {None})
    if encounter.person_id:
        categories = sorted(set(categories) | {C.IDENTITY})
    record(
        user,
        AuditAction.WRITE,
        "encounter",
        encounter.pk,
        categories,
        detail,
        person_ids=[encounter.person_id] if encounter.person_id else [],
    )


STAMPED = ["dispatched_at", "on_scene_at", "officer_cleared_at", "cleared_at"]


def stamp_times(encounter: Encounter, assignment: Assignment) -> bool:
    """Copy the team's stamps (dispatched, on scene, officer cleared, cleared) onto the
    encounter; True when one changed. The board's stamps are the times of record."""
    changed = False
    for name in STAMPED:
        value = getattr(assignment, name)
        if value is not None and getattr(encounter, name) != value:
            setattr(encounter, name, value)
            changed = True
    return changed


# --- who may record -------------------------------------------------------------------------------


def may_record_for(user, assignment: Assignment) -> bool:
    """A member of the team sent to the call records its encounter."""
    return assignment.team.members.filter(pk=user.pk).exists()


def _recording_role(user) -> bool:
    return any(m.role in RECORDING_ROLES for m in memberships(user))


def _home_agency(user, program: Program):
    """The agency whose record a new person becomes: the user's first agency that partners in
    the program (else their first agency)."""
    partners = set(program.agencies.values_list("id", flat=True))
    ms = memberships(user)
    for m in ms:
        if m.agency_id in partners and m.role in RECORDING_ROLES:
            return m.agency
    return ms[0].agency if ms else None


# --- the person -----------------------------------------------------------------------------------


def _person(user, spec, program: Program, at: datetime) -> Person | None:
    """The person of a new record: an existing record the user may see (`{"id": ...}`), a new
    record held by the user's agency (names and what else is known), or none."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise RecordError({"person": ["is not an object"]})
    if spec.get("id") is not None:
        try:
            return person_for(user, spec["id"])
        except Exception:
            raise RecordError({"person": ["no such person, or not one you may see"]}) from None
    first = str(spec.get("first_name") or "").strip()[:100]
    last = str(spec.get("last_name") or "").strip()[:100]
    if not first and not last:
        return None
    dob = None
    if spec.get("dob"):
        try:
            dob = date.fromisoformat(str(spec["dob"]))
        except ValueError:
            raise RecordError({"person.dob": ["is not a date YYYY-MM-DD"]}) from None
        if dob > timezone.localdate(at):
            raise RecordError({"person.dob": ["is in the future"]})
    agency = _home_agency(user, program)
    if agency is None:
        raise RecordError({"person": ["you have no agency to hold the record"]})
    try:  # through people.services: blocking keys, and linked by the worker after the commit
        person = create_person(
            external_id=f"FA-{uuid.uuid4().hex[:20]}",
            agency=agency,
            first_name=first,
            last_name=last,
            dob=dob,
            phone=str(spec.get("phone") or "").strip()[:40],
            address=str(spec.get("address") or "").strip()[:300],
        )
    except ValidationError as error:
        raise RecordError(
            {f"person.{name}": messages for name, messages in error.message_dict.items()}
        ) from None
    record(
        user,
        AuditAction.WRITE,
        "person",
        person.pk,
        [C.IDENTITY],
        f"person record made in the field for {agency.name}",
        person_ids=[person.pk],
    )
    return person


# --- recording ------------------------------------------------------------------------------------


def _external_id(at: datetime, client_id: uuid.UUID) -> str:
    return f"E-{timezone.localtime(at):%Y%m%d}-{client_id.hex[:12]}"


@transaction.atomic
def record_encounter(
    user,
    *,
    client_id,
    changes: dict,
    kind: str = EncounterKind.CRISIS,
    assignment: Assignment | None = None,
    program: Program | None = None,
    person=None,
    at: datetime | None = None,
) -> Saved:
    """A new encounter from the field app. The same `client_id` again returns the encounter
    already made from it (a retry never makes a second one)."""
    at = at or timezone.now()
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise RecordError({"client_id": ["is not a UUID"]}) from None
    existing = Encounter.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.recorded_by_id != user.pk:
            raise RecordError({"client_id": ["is another user's record"]})
        return Saved(existing, created=False)
    if kind not in EncounterKind.values:
        raise RecordError({"kind": [f"{kind!r} is not one of: {', '.join(EncounterKind.values)}"]})
    if not _recording_role(user):
        raise PermissionDenied("Your role does not record encounters.")
    call = None
    if assignment is not None:
        if not may_record_for(user, assignment):
            raise PermissionDenied("Only the team sent to this call records its encounter.")
        call = assignment.call
        program = assignment.team.program
    elif program is None:
        raise RecordError({"program": ["an encounter without a call names its program"]})
    elif program.pk not in partner_program_ids(user):
        raise PermissionDenied("You work in no partner agency of this program.")
    if kind == EncounterKind.CRISIS and assignment is None:
        raise RecordError({"assignment": ["a crisis encounter belongs to a team's call"]})
    who = _person(user, person, program, at)
    home = _home_agency(user, program)
    owner = who.agency_id if who else (home.pk if home else None)
    values = clean_changes(user, None, changes, owner=owner)
    encounter = Encounter(
        external_id=_external_id(at, client_id),
        client_id=client_id,
        call=call,
        person=who,
        program=program,
        kind=kind,
        recorded_by=user,
        version=0,
    )
    if assignment is not None:
        stamp_times(encounter, assignment)
    elif kind != EncounterKind.CRISIS:
        encounter.on_scene_at = at
    encounter.save()
    _apply(encounter, values, user)
    _revise(encounter, user, RevisionSource.FIELD_APP, at)
    where = f"call {call.external_id}" if call else program.name
    _audit(user, encounter, values, f"encounter {encounter.external_id} recorded for {where}")
    return Saved(encounter, created=True)


@transaction.atomic
def update_encounter(
    user, encounter: Encounter, *, base_version: int, changes: dict, at: datetime | None = None
) -> Saved | Conflicted:
    """A device's edits of an encounter it read at `base_version` (see the module's rules)."""
    at = at or timezone.now()
    encounter = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=encounter.pk)
    )
    if not may_edit(user, encounter):
        raise PermissionDenied("Only the team of the call, or who recorded it, edits it.")
    values = clean_changes(user, encounter, changes)
    if not isinstance(base_version, int) or not 1 <= base_version <= encounter.version:
        raise RecordError({"base_version": [f"is not a version of this encounter (1 to "
                                            f"{encounter.version})"]})  # fmt: skip
    merged = False
    if base_version != encounter.version:
        allowed = writable_categories(user, encounter)
        server = snapshot(encounter)
        base = _revision_snapshot(encounter, base_version)
        clashing = sorted(
            k
            for k, v in values.items()
            if _seen(k, server.get(k), allowed) != _seen(k, base.get(k), allowed)
            and _seen(k, server.get(k), allowed) != v
        )
        if clashing:
            conflict = EncounterConflict.objects.create(
                encounter=encounter,
                raised_by=user,
                raised_at=at,
                base_version=base_version,
                server_version=encounter.version,
                base=base,
                server=server,
                device=values,
                fields=clashing,
            )
            record(
                user,
                AuditAction.WRITE,
                "encounter_conflict",
                conflict.pk,
                sorted({key_category(k) for k in values} - {None}),
                f"encounter {encounter.external_id}: changes to v{base_version} kept apart, "
                f"v{encounter.version} on the server changed {', '.join(clashing)} too",
                person_ids=[encounter.person_id] if encounter.person_id else [],
            )
            return Conflicted(conflict)
        merged = True
    allowed = writable_categories(user, encounter)
    current = snapshot(encounter)
    changed = {k: v for k, v in values.items() if _seen(k, current.get(k), allowed) != v}
    if not changed:
        return Saved(encounter, merged=merged)
    _apply(encounter, changed, user)
    _revise(encounter, user, RevisionSource.FIELD_APP, at)
    _audit(user, encounter, changed, f"encounter {encounter.external_id} edited in the field")
    return Saved(encounter, merged=merged)


def _seen(key: str, value, allowed: set[str]):
    """A value as a viewer with `allowed` categories sees it: without Part 2, a list of
    concerns lacks the substance-use one."""
    if key == "presenting_concerns" and C.SUBSTANCE_USE not in allowed and value:
        return [c for c in value if c != Concern.SUBSTANCE_USE]
    return value


def _revision_snapshot(encounter: Encounter, version: int) -> dict:
    revision = EncounterRevision.objects.filter(encounter=encounter, version=version).first()
    # An encounter imported or edited before revisions were kept has no stored base: every key
    # then counts as changed on the server, so no change of the device is applied unseen.
    return revision.snapshot if revision else {}


# --- reconciling ----------------------------------------------------------------------------------


def may_reconcile(user, conflict: EncounterConflict) -> bool:
    """Who sent the changes, or a supervisor or program manager who may edit the encounter."""
    if conflict.raised_by_id == user.pk:
        return True
    roles = {m.role for m in memberships(user)}
    return bool(roles & {Role.SUPERVISOR, Role.PROGRAM_MANAGER}) and may_edit(
        user, conflict.encounter
    )


@transaction.atomic
def reconcile(
    user, conflict: EncounterConflict, choices: dict[str, str], at: datetime | None = None
) -> Saved | Conflicted:
    """Resolve a conflict: for each differing key, keep the server's value or take the
    device's. If the server changed again since the conflict was raised, the conflict is
    refreshed with the newer version and returned to be looked at again."""
    at = at or timezone.now()
    conflict = EncounterConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != ConflictStatus.OPEN:
        raise RecordError({"conflict": ["was already reconciled"]})
    if not may_reconcile(user, conflict):
        raise PermissionDenied("Only who sent the changes, or a supervisor, reconciles them.")
    encounter = Encounter.objects.select_for_update().get(pk=conflict.encounter_id)
    if encounter.version != conflict.server_version:
        conflict.server = snapshot(encounter)
        conflict.server_version = encounter.version
        conflict.fields = sorted(
            k for k, v in conflict.device.items() if conflict.server.get(k) != v
        )
        conflict.save(update_fields=["server", "server_version", "fields"])
        return Conflicted(conflict)
    missing = [k for k in conflict.fields if choices.get(k) not in ("server", "device")]
    if missing:
        raise RecordError({k: ["choose the server's version or the device's"] for k in missing})
    # Keys the device changed that the server did not are taken as sent (nothing to choose).
    taken = {k: v for k, v in conflict.device.items() if k not in conflict.fields}
    taken.update({k: conflict.device[k] for k in conflict.fields if choices[k] == "device"})
    allowed = writable_categories(user, encounter)
    for key in list(taken):
        category = key_category(key)
        if category is not None and category not in allowed:
            # Who reconciles may not see this key: the server's value stays.
            del taken[key]
    current = snapshot(encounter)
    changed = {k: v for k, v in taken.items() if _seen(k, current.get(k), allowed) != v}
    if changed:
        _apply(encounter, changed, user)
        _revise(encounter, user, RevisionSource.RECONCILED, at)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolved_by = user
    conflict.resolved_at = at
    conflict.resolution = {k: choices[k] for k in conflict.fields}
    conflict.resolved_version = encounter.version
    conflict.save()
    kept = ", ".join(f"{k}: {choices[k]}" for k in conflict.fields)
    record(
        user,
        AuditAction.WRITE,
        "encounter_conflict",
        conflict.pk,
        sorted({key_category(k) for k in conflict.fields} - {None}),
        f"encounter {encounter.external_id} reconciled as v{encounter.version} ({kept})",
        person_ids=[encounter.person_id] if encounter.person_id else [],
    )
    return Saved(encounter)


# --- team status from the field app ---------------------------------------------------------------


def advance_assignment(user, assignment: Assignment, status: str, at: datetime | None = None):
    """One tap of a status button: the dispatch board's own rule and stamp (never a second
    implementation), then the call's encounters take the new times."""
    now = timezone.now()
    at = min(at or now, now)  # a phone whose clock runs ahead cannot stamp the future
    with transaction.atomic():
        assignment = board.advance(assignment, status, user=user, at=at)
        for encounter in Encounter.objects.select_for_update().filter(call_id=assignment.call_id):
            if stamp_times(encounter, assignment):
                encounter.save(update_fields=STAMPED)
    return assignment
