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
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from coresponse.care.selectors import responder_view
from coresponse.field.models import Encounter, EncounterKind
from coresponse.people.identity import cluster_of
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction, Purpose
from coresponse.privacy.policy import access, decide
from coresponse.privacy.services import record

MIN_SCORE = 0.8  # a weaker match is not the same person for a responder at the door
SAFETY_WINDOW = timedelta(days=365)


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
    from coresponse.people.models import Person

    records = list(Person.objects.filter(pk__in=cluster_of(person.pk)).select_related("agency"))
    standing = access(user)
    standing.load_consents(r.pk for r in records)
    purpose = Purpose.EMERGENCY_RESPONSE
    allowed, reasons, named = [], [], None
    for r in records:
        decision = decide(user, r.agency_id, DataCategory.CONTACT_PLAN, r.pk, purpose)
        if not decision.allowed:
            continue
        allowed.append(r)
        reasons.append(f"{r.agency.name}: {decision.reason}")
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
        responder_safety=_safety_notes(ids),
        shown_because=reasons,
        records=len(allowed),
    )
    return alert, ids


def _safety_notes(person_ids: list[int]) -> list[str]:
    """What a responder should know walking in: weapons and injuries at recent contacts."""
    recent = Encounter.objects.filter(
        person_id__in=person_ids,
        kind=EncounterKind.CRISIS,
        on_scene_at__gte=timezone.now() - SAFETY_WINDOW,
    )
    seen = recent.aggregate(
        weapons=Count("pk", filter=Q(weapon_present=True)),
        last_weapon=Max("on_scene_at", filter=Q(weapon_present=True)),
        injuries=Count("pk", filter=Q(injuries=True)),
    )
    notes = []
    if seen["weapons"]:
        last = timezone.localtime(seen["last_weapon"])
        n = seen["weapons"]
        notes.append(
            f"A weapon was present at {n} crisis contact{'s' if n > 1 else ''} in the last 12 "
            f"months (last {last:%b %-d, %Y})."
        )
    if seen["injuries"]:
        n = seen["injuries"]
        notes.append(
            f"Someone was injured at {n} crisis contact{'s' if n > 1 else ''} in the last 12 "
            "months."
        )
    return notes
