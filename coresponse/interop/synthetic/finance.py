"""Cedar County's money for the cost model: each program's unit costs and assumptions
(operations.CostModel) and its grant applications. The budgets and monthly spending themselves
come from the roster (roster._money); this adds what the insights' cost model reads.

Keyed on stable names (the program, the grant's title), so seeding again updates in place.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from coresponse.agencies.models import Program
from coresponse.operations.models import CostModel, FundingSource, GrantApplication

from .cedar import ON_CALL, RIDE_ALONG, SCRT, UNIT_COSTS, UNTIL

# A psychiatric stay (UNIT_COSTS["hospital_admission"]) of this many days gives the day rate.
STAY_DAYS = 7
SOURCES = (
    "Cedar County's illustrative unit costs (interop/synthetic/cedar.py, UNIT_COSTS): booking "
    "plus a first jail night, an ED visit with psychiatric evaluation, a week's psychiatric "
    "stay, a loaded officer hour; the county EMS rate for a transport."
)
# program -> its own figures (the rest take the documented defaults)
OWN = {
    RIDE_ALONG: {"ambulance_transport": Decimal("1150"), "booking_share": Decimal("0.6")},
    ON_CALL: {"ambulance_transport": Decimal("1350"), "booking_share": Decimal("0.5")},
    SCRT: {"ambulance_transport": Decimal("1150"), "booking_share": Decimal("0.3")},
}
# (program, funding source, title, status, months before `until` it is due, requested, awarded)
GRANTS = (
    (RIDE_ALONG, "BJA Connect and Protect: Law Enforcement Behavioral Health Response",
     "Riverton co-responder expansion, second unit", "awarded", 14, 550_000, 500_000),
    (SCRT, "Cedar Regional Opioid Settlement Council",
     "Street team overnight coverage", "submitted", 2, 300_000, None),
    (ON_CALL, "Colorado Behavioral Health Administration Co-Responder Grant",
     "On-call clinician continuation", "drafting", -1, 200_000, None),
)  # fmt: skip


def build(until: date = UNTIL) -> None:
    with transaction.atomic():
        programs = {p.external_id: p for p in Program.objects.filter(external_id__in=OWN)}
        for external_id, own in OWN.items():
            program = programs.get(external_id)
            if program is None:
                continue
            CostModel.objects.update_or_create(
                program=program,
                defaults={
                    "currency": "USD",
                    "jail_booking": Decimal(UNIT_COSTS["jail_booking"]),
                    "er_visit": Decimal(UNIT_COSTS["er_visit"]),
                    "inpatient_day": Decimal(UNIT_COSTS["hospital_admission"]) / STAY_DAYS,
                    "officer_hour": Decimal(UNIT_COSTS["officer_hour"]),
                    "sources": SOURCES,
                    **own,
                },
            )
        for external_id, source, title, status, months, requested, awarded in GRANTS:
            program = programs.get(external_id)
            funder = FundingSource.objects.filter(name=source).order_by("pk").first()
            if program is None or funder is None:
                continue
            GrantApplication.objects.update_or_create(
                program=program,
                title=title,
                defaults={
                    "funding_source": funder,
                    "status": status,
                    "due_on": until - timedelta(days=30 * months),
                    "requested": Decimal(requested),
                    "awarded": None if awarded is None else Decimal(awarded),
                },
            )
