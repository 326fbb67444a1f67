"""Cedar County's trust data: the program's sharing agreements (its MOU) and the consents its
people signed, as exchange-bundle rows.

The agreements are what a county's co-responder MOU usually says: the clinic shares who a person
is and their contact plan (in care? who to call? what helps?) with the police, the sheriff and
EMS for emergency response, and clinical data with the hospital for treatment; police and EMS
share identity and what happened with the clinic for care coordination. Nothing flows by
agreement that the law keeps for consent (substance use, 42 CFR Part 2).

Consents: most people the clinic sees agree, at their first contact, that crisis responders
may see their contact plan and safety-plan highlights; people with substance-use needs are
asked for a Part 2 consent to their treating providers. Some consents have expired, a few were
revoked, so every state appears in the demo.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from coresponse.interop.synthetic.cedar import ZONE

CLINIC = "cedar-bhc"
AGREEMENTS = (
    ("MOU-RPD", "Co-responder MOU: clinic to Riverton PD", CLINIC, "riverton-pd",
     "identity;contact_plan", "emergency_response"),
    ("MOU-CSO", "Co-responder MOU: clinic to the Sheriff's Office", CLINIC, "cedar-so",
     "identity;contact_plan", "emergency_response"),
    ("MOU-EMS", "Co-responder MOU: clinic to Cedar County EMS", CLINIC, "cedar-ems",
     "identity;contact_plan;medical", "emergency_response;treatment"),
    ("MOU-STB", "Care agreement: clinic to St. Brigid", CLINIC, "st-brigid",
     "identity;contact_plan;mental_health;medical", "treatment;care_coordination"),
    ("MOU-911", "Dispatch agreement: clinic to Cedar Regional 911", CLINIC, "cedar-911",
     "identity;contact_plan", "emergency_response"),
    ("MOU-988", "Crisis line agreement: clinic to Cedar 988", CLINIC, "cedar-988",
     "identity;contact_plan;mental_health", "emergency_response;care_coordination"),
    ("MOU-RPD-BHC", "Co-responder MOU: Riverton PD to the clinic", "riverton-pd", CLINIC,
     "identity;contact_plan;criminal_justice", "care_coordination;treatment"),
    ("MOU-CSO-BHC", "Co-responder MOU: Sheriff's Office to the clinic", "cedar-so", CLINIC,
     "identity;contact_plan;criminal_justice", "care_coordination;treatment"),
    ("MOU-EMS-BHC", "Co-responder MOU: EMS to the clinic", "cedar-ems", CLINIC,
     "identity;contact_plan;medical", "care_coordination;treatment"),
)  # fmt: skip
MOU_SIGNED = date(2023, 7, 1)


def agreement_rows() -> list[dict[str, str]]:
    return [
        {
            "agreement_id": agreement_id,
            "title": title,
            "from_agency_id": source,
            "to_agency_id": target,
            "categories": categories,
            "purposes": purposes,
            "effective_from": MOU_SIGNED.isoformat(),
            "effective_to": "",
            "document_ref": "Cedar County co-responder MOU, signed 2023-06-20, records office",
        }
        for agreement_id, title, source, target, categories, purposes in sorted(AGREEMENTS)
    ]  # in id order, as an export writes them


# (kind, recipient class, categories, purposes) of the two consents the clinic asks for.
RESPONDERS = ("program", "crisis_responders", "contact_plan", "emergency_response")
PART2 = (
    "part2",
    "treating_providers",
    "substance_use;mental_health;medical",
    "treatment;care_coordination",
)


def consent_rows(rng: random.Random, humans, until: date) -> list[dict[str, str]]:
    """Consents of the humans the clinic has met in a crisis, in order of first contact."""
    rows = []
    met = sorted((h for h in humans if h.crisis and CLINIC in h.records), key=lambda h: h.crisis[0])
    end = datetime.combine(until, datetime.max.time(), ZONE)
    for human in met:
        # Asked at the first crisis contact, and again at the first after a consent ran out.
        asked = [human.crisis[0]]
        for at in human.crisis[1:]:
            if at - asked[-1] > timedelta(days=365):
                asked.append(at)
        for contact in asked:
            signed = contact + timedelta(hours=rng.randint(1, 30))
            if signed >= end:
                continue
            if rng.random() < 0.72:
                rows.append(_row(rng, len(rows), human.records[CLINIC], signed, end, RESPONDERS))
            if human.substance and rng.random() < 0.7:
                rows.append(_row(rng, len(rows), human.records[CLINIC], signed, end, PART2))
    return rows


def _row(rng, n, person, signed, end, terms) -> dict[str, str]:
    kind, to_class, categories, purposes = terms
    expires = signed + timedelta(days=365)
    revoked = ""
    if rng.random() < 0.04:
        moment = signed + timedelta(days=rng.randint(5, 200))
        if moment < min(expires, end):
            revoked = moment.astimezone(ZONE).isoformat()
    return {
        "consent_id": f"CN-{n + 1:06d}",
        "person_id": person,
        "from_agency_id": CLINIC,
        "to_agency_id": "",
        "categories": categories,
        "purpose": purposes,
        "signed_at": signed.astimezone(ZONE).isoformat(),
        "expires_at": expires.astimezone(ZONE).isoformat(),
        "revoked_at": revoked,
        "to_class": to_class,
        "kind": kind,
        "expiry_event": "",
        "signed_by": "the person",
        "description": "",
    }
