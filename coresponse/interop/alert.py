"""The responder crisis alert: what a responder may know, right now, about the person a call is
about, found across every agency's records.

    alert = lookup(user, first_name="Bob", last_name="Smith", dob=date(1974, 2, 3))

Finding: the lookup-time matcher (people.matching.find) tolerates typos, nicknames, swapped
day and month and missing fields; the best match's human is every record linked to it
(people.identity.cluster_of, which keeps apart what a reviewer rejected). Showing: each record
is decided by the disclosure policy for the contact plan (the category made for responders: is
the person in care, who to call, what helps, what to watch for) with the purpose emergency
response; only records it allows feed the alert, so a record held back answers exactly as no
record at all. Every lookup is audited, found or not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from coresponse import sql
from coresponse.agencies.models import Agency
from coresponse.care.selectors import ResponderView, responder_view
from coresponse.people.identity import cluster_of
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction, Purpose
from coresponse.privacy.policy import access, decide
from coresponse.privacy.services import record

MIN_SCORE = 0.8  # a weaker match is not the same person for a responder at the door


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    phone: str


@dataclass
class Alert:
    found: bool
    name: str = ""  # only when the policy allows the identity of a matched record
    dob: date | None = None
    match_score: float | None = None
    match_reasons: list[str] = field(default_factory=list)
    known_to_crisis_system: bool = False
    engaged_in_care: bool = False
    care_providers: list[str] = field(default_factory=list)
    who_to_call: list[Contact] = field(default_factory=list)
    safety_plan_highlights: list[str] = field(default_factory=list)
    shared_plan_sections: list[tuple[str, str]] = field(default_factory=list)
    de_escalation_tips: list[str] = field(default_factory=list)
    prior_crisis_contacts: int = 0
    last_crisis_contact: datetime | None = None
    responder_safety: list[str] = field(default_factory=list)
    shown_because: list[str] = field(default_factory=list)  # the policy's reasons
    records: int = 0  # records of the human the alert drew on

    def as_dict(self) -> dict:
        data = asdict(self)
        data["shared_plan_sections"] = [
            {"section": s, "text": t} for s, t in self.shared_plan_sections
        ]
        return data


def lookup(
    user,
    *,
    first_name: str = "",
    last_name: str = "",
    dob: date | None = None,
    address: str = "",
    phone: str = "",
    call_id: int | None = None,
) -> Alert:
    """The alert for the person described (any subset of the fields)."""
    fields = {
        "first_name": first_name,
        "last_name": last_name,
        "dob": dob,
        "address": address,
        "phone": phone,
    }
    given = {k: v for k, v in fields.items() if v}
    from coresponse.people import matching  # the identity work's lookup-time matcher

    alert = Alert(found=False)
    matches = matching.find(**given, limit=3) if given else []
    best = next(((p, s, why) for p, s, why in matches if s >= MIN_SCORE), None)
    shown_ids: list[int] = []
    if best is not None:
        person, score, why = best
        alert, shown_ids = _assemble(user, person, score, why)
    record(
        user,
        AuditAction.LOOKUP,
        "alert",
        call_id or "",
        [DataCategory.CONTACT_PLAN] if alert.found else [],
        f"crisis alert for {', '.join(sorted(given)) or 'nothing'}: "
        + (f"{alert.records} records shown" if alert.found else "nothing shown"),
        person_ids=shown_ids,
        purpose=Purpose.EMERGENCY_RESPONSE,
        reason="; ".join(alert.shown_because)[:300],
    )
    return alert


def _assemble(user, person, score: float, why) -> tuple[Alert, list[int]]:
    records = _records(cluster_of(person.pk))
    standing = access(user)
    standing.load_consents(r.pk for r, _ in records)
    purpose = Purpose.EMERGENCY_RESPONSE
    allowed, reasons, named = [], [], None
    for r, agency_name in records:
        decision = decide(user, r.agency_id, DataCategory.CONTACT_PLAN, r.pk, purpose)
        if not decision.allowed:
            continue
        allowed.append(r)
        reasons.append(f"{agency_name}: {decision.reason}")
        if named is None and decide(user, r.agency_id, DataCategory.IDENTITY, r.pk, purpose):
            named = r
    if not allowed:
        return Alert(found=False), []
    ids = [r.pk for r in allowed]
    view = responder_view(ids)
    alert = Alert(
        found=True,
        name=named.display_name if named else "",
        dob=named.dob if named else None,
        match_score=round(score, 3),
        match_reasons=list(why),
        known_to_crisis_system=view.prior_crisis_contacts > 0 or view.engaged_in_care,
        engaged_in_care=view.engaged_in_care,
        care_providers=list(view.care_providers),
        who_to_call=[Contact(c.name, c.role, c.phone) for c in view.who_to_call],
        safety_plan_highlights=list(view.safety_plan_highlights),
        shared_plan_sections=list(view.shared_sections),
        de_escalation_tips=list(view.de_escalation_tips),
        prior_crisis_contacts=view.prior_crisis_contacts,
        last_crisis_contact=view.last_crisis_contact,
        responder_safety=_safety_notes(view),
        shown_because=reasons,
        records=len(allowed),
    )
    return alert, ids


# What the alert reads of each record, in the model's field order (as Person.from_db wants it).
_RECORD_FIELDS = [
    f
    for f in Person._meta.concrete_fields
    if f.attname in {"id", "agency_id", "external_id", "first_name", "last_name", "dob"}
]
_RECORD_NAMES = [f.attname for f in _RECORD_FIELDS]
_RECORDS_SQL = (
    f"SELECT {', '.join(f'person.{f.column}' for f in _RECORD_FIELDS)}, agency.name"
    f" FROM {Person._meta.db_table} AS person"
    f" JOIN {Agency._meta.db_table} AS agency ON agency.id = person.agency_id"
    " WHERE person.id IN ({marks}) ORDER BY person.last_name, person.first_name, person.id"
)
_read_record = sql.reader(*_RECORD_FIELDS, None)  # and the agency's name


def _records(person_ids: set[int]) -> list[tuple[Person, str]]:
    """The human's records in the order of a person list (name, then id), each with the name of
    the agency holding it: one hand-written query (coresponse.sql), the alert's hot path."""
    ids = sorted(person_ids)
    with sql.cursor() as cursor:
        cursor.execute(_RECORDS_SQL.format(marks=sql.marks(ids)), ids)
        rows = _read_record(cursor.fetchall())
    return [(Person.from_db(connection.alias, _RECORD_NAMES, row[:-1]), row[-1]) for row in rows]


def _safety_notes(view: ResponderView) -> list[str]:
    """What a responder should know walking in: weapons and injuries at recent contacts."""
    notes = []
    if view.weapon_contacts:
        last = timezone.localtime(view.last_weapon_contact)
        n = view.weapon_contacts
        notes.append(
            f"A weapon was present at {n} crisis contact{'s' if n > 1 else ''} in the last 12 "
            f"months (last {last:%b %-d, %Y})."
        )
    if view.injury_contacts:
        n = view.injury_contacts
        notes.append(
            f"Someone was injured at {n} crisis contact{'s' if n > 1 else ''} in the last 12 "
            "months."
        )
    return notes
