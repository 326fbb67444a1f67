"""The cost model: what the program's responses avoided, what it spent, and per whom.

    cost_avoided = bookings avoided × jail booking
                 + ER visits avoided × (ER visit + ambulance share × ambulance transport)
                 + inpatient days avoided × inpatient day
                 + officer hours saved × officer hour

with, for the period's crisis encounters (the counterfactual: a police-only response),

    bookings avoided       = booking share × arrest-eligible encounters ending without arrest
    ER visits avoided      = ER diversion share × crisis encounters
    inpatient days avoided = max(0, baseline hold rate × crisis encounters − holds) × hold days
    officer hours saved    = Σ (team cleared − officer cleared), measured

Each unit cost and assumption is the program's own (operations.CostModel) or the default below,
each with its published source (docs/metrics.md, "The cost model"). Money is in the programs'
currency; programs of different currencies are not added up (the money metrics are then None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from coresponse.agencies.models import Program, Role, User
from coresponse.operations.models import Budget, CostModel, Expenditure


@dataclass(frozen=True)
class Default:
    value: Decimal
    label: str
    unit: str
    source: str


DEFAULTS: dict[str, Default] = {
    "jail_booking": Default(
        Decimal("450"),
        "Jail booking",
        "per booking",
        "Riverside County, CA: projected booking cost of $24.9 million for 55,306 bookings in "
        "FY 2011-12, about $450 a booking (San Diego Union-Tribune, 5 Oct 2011). Booking and "
        "processing only, no jail days: a conservative figure.",
    ),
    "er_visit": Default(
        Decimal("520"),
        "Emergency-room visit",
        "per visit",
        "AHRQ HCUP Statistical Brief #257 (Karaca & Moore, 2020, revised Oct 2020): average "
        "service-delivery cost of an ED visit for a mental or substance-use disorder, 2017.",
    ),
    "inpatient_day": Default(
        Decimal("3013"),
        "Inpatient day",
        "per day",
        "KFF State Health Facts, hospital adjusted expenses per inpatient day, U.S. nonprofit "
        "hospitals, 2021 (from the AHA Annual Survey).",
    ),
    "ambulance_transport": Default(
        Decimal("429"),
        "Ambulance transport",
        "per transport",
        "U.S. GAO, GAO-13-6 (Oct 2012): median cost of a ground ambulance transport, 2010.",
    ),
    "officer_hour": Default(
        Decimal("33.66"),
        "Officer hour",
        "per hour",
        "U.S. BLS: average hourly wage of police officers, May 2020 ($33.66). Wage only, no "
        "benefits or overhead: a conservative figure.",
    ),
    "booking_share": Default(
        Decimal("0.5"),
        "Bookings a police-only response would have made",
        "of arrest-eligible encounters without arrest",
        "An assumption of this model, not a published figure: half of the arrestable "
        "situations the team resolved without arrest. Set it from your jail's data.",
    ),
    "er_diversion_share": Default(
        Decimal("0.094"),
        "ER visits a police-only response would have made",
        "of crisis encounters",
        "Colorado Department of Human Services (13 Oct 2021), evaluation of OBH co-responder "
        "programs by the Colorado Health Institute: officers reported diverting 9.4% of "
        "individuals from emergency rooms.",
    ),
    "baseline_hold_rate": Default(
        Decimal("0.083"),
        "Involuntary-hold rate before the program",
        "of crisis calls",
        "Colorado Department of Human Services (13 Oct 2021): involuntary holds were 8.3% of "
        "calls in September 2019, before falling to 3.2% in September 2020.",
    ),
    "hold_days": Default(
        Decimal("3"),
        "Inpatient days of one hold",
        "days",
        "An emergency mental-health hold lasts up to 72 hours (Colorado's M-1 hold); three days "
        "is its length, not a measured stay.",
    ),
    "ambulance_share": Default(
        Decimal("0.5"),
        "ER visits that would have gone by ambulance",
        "of ER visits avoided",
        "An assumption of this model, not a published figure: half (the rest by patrol car).",
    ),
}
UNIT_COSTS = ("jail_booking", "er_visit", "inpatient_day", "ambulance_transport", "officer_hour")
ASSUMPTIONS = (
    "booking_share",
    "er_diversion_share",
    "baseline_hold_rate",
    "hold_days",
    "ambulance_share",
)
CO_RESPONDER_ROLES = (Role.CLINICIAN, Role.PARAMEDIC, Role.PEER_SPECIALIST)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    value: Decimal
    source: str
    local: bool  # the program's own figure (True) or the default (False)

    @property
    def shown(self) -> str:
        if self.key in UNIT_COSTS:
            return f"{self.value:,.2f}".removesuffix(".00")
        if self.key == "hold_days":
            return f"{float(self.value):g}"
        return f"{float(self.value) * 100:g}%"


@dataclass
class Component:
    label: str
    events: float  # avoided events (or hours)
    unit_cost: float
    amount: float
    how: str


@dataclass
class CostResult:
    currency: str | None  # None: programs of several currencies
    parameters: dict[str, list[Parameter]] = field(default_factory=dict)  # program name -> ...
    components: list[Component] = field(default_factory=list)
    cost_avoided: float | None = None
    expenditure: float = 0.0
    budget: float = 0.0
    co_responders: int = 0
    persons_served: int = 0

    def metrics(self) -> dict:
        from coresponse.insights.metrics import Metric

        money = self.currency is not None
        avoided = self.cost_avoided if money else None
        per_person = (
            self.expenditure / self.persons_served if money and self.persons_served else None
        )
        per_co = (
            avoided / self.co_responders if avoided is not None and self.co_responders else None
        )
        budget = round(self.budget)
        return {
            "cost_avoided": Metric(None if avoided is None else round(avoided, 2), None, None),
            "cost_per_person_served": Metric(
                None if per_person is None else round(per_person, 2),
                round(self.expenditure) if money else None,
                self.persons_served,
            ),
            "cost_avoided_per_co_responder": Metric(
                None if per_co is None else round(per_co, 2),
                None if avoided is None else round(avoided),
                self.co_responders,
            ),
            "budget_utilization": Metric(
                self.expenditure / self.budget if money and self.budget else None,
                round(self.expenditure) if money else None,
                budget if money else None,
            ),
        }


def parameters(program: Program) -> list[Parameter]:
    """The program's unit costs and assumptions, each its own or the default."""
    try:
        model = program.cost_model
    except CostModel.DoesNotExist:
        model = None
    out = []
    for key in (*UNIT_COSTS, *ASSUMPTIONS):
        default = DEFAULTS[key]
        own = getattr(model, key, None) if model else None
        out.append(
            Parameter(
                key,
                default.label,
                default.unit,
                own if own is not None else default.value,
                (model.sources or "the program's own figure")
                if own is not None
                else default.source,
                own is not None,
            )
        )
    return out


def currency_of(program: Program) -> str:
    try:
        return program.cost_model.currency
    except CostModel.DoesNotExist:
        return "USD"


def _programs(filters) -> list[Program]:
    programs = Program.objects.select_related("cost_model").order_by("name")
    if filters.program_ids:
        programs = programs.filter(pk__in=filters.program_ids)
    return list(programs)


def co_responders(programs: list[Program]) -> int:
    """Clinicians, paramedics and peers on the programs' teams (or the programs' own counts)."""
    total, counted = 0, []
    for program in programs:
        try:
            own = program.cost_model.co_responders
        except CostModel.DoesNotExist:
            own = None
        if own is not None:
            total += own
        else:
            counted.append(program.pk)
    if counted:
        total += (
            User.objects.filter(
                teams__program_id__in=counted, memberships__role__in=CO_RESPONDER_ROLES
            )
            .distinct()
            .count()
        )
    return total


def overlap_days(first: date, last: date, start: date, end: date) -> int:
    return max(0, (min(last, end) - max(first, start)).days + 1)


def budget_and_spending(programs: list[Program], first: date, last: date) -> tuple[float, float]:
    """(budget pro-rated to the days of [first, last], expenditure spent in it)."""
    budget = Decimal(0)
    budgets = list(
        Budget.objects.filter(program__in=programs).filter(
            Q(starts_on__lte=last, ends_on__gte=first)
            | Q(starts_on__isnull=True, fiscal_year__gte=first.year, fiscal_year__lte=last.year)
        )
    )
    for b in budgets:
        days = (b.last_day - b.first_day).days + 1
        budget += b.amount * overlap_days(b.first_day, b.last_day, first, last) / days
    spent = Expenditure.objects.filter(
        budget__program__in=programs, spent_on__gte=first, spent_on__lte=last
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return float(budget), float(spent)


def evaluate(
    filters,
    period,
    *,
    responses: int,
    eligible_without_arrest: int,
    er_transports: int,
    holds: int,
    officer_hours_saved: float,
    persons_served: int,
) -> CostResult:
    """The cost metrics of a question, with the components and parameters behind them.

    With several programs, each counterfactual uses the parameters of the first program in
    name order when they differ; the page lists every program's parameters.
    """
    programs = _programs(filters)
    currencies = {currency_of(p) for p in programs} or {"USD"}
    result = CostResult(currency=currencies.pop() if len(currencies) == 1 else None)
    result.persons_served = persons_served
    for program in programs:
        result.parameters[program.name] = parameters(program)
    first = next(iter(result.parameters.values()), None)
    values = (
        {p.key: float(p.value) for p in first}
        if first
        else {k: float(d.value) for k, d in DEFAULTS.items()}
    )
    bookings = values["booking_share"] * eligible_without_arrest
    er_avoided = values["er_diversion_share"] * responses
    days = max(0.0, values["baseline_hold_rate"] * responses - holds) * values["hold_days"]
    ambulances = values["ambulance_share"] * er_avoided
    result.components = [
        Component(
            "Jail bookings avoided",
            bookings,
            values["jail_booking"],
            bookings * values["jail_booking"],
            f"{values['booking_share']:.0%} of {eligible_without_arrest:,} arrest-eligible "
            "encounters that ended without arrest",
        ),
        Component(
            "ER visits avoided",
            er_avoided,
            values["er_visit"],
            er_avoided * values["er_visit"],
            f"{values['er_diversion_share']:.1%} of {responses:,} crisis encounters",
        ),
        Component(
            "Ambulance transports avoided",
            ambulances,
            values["ambulance_transport"],
            ambulances * values["ambulance_transport"],
            f"{values['ambulance_share']:.0%} of the ER visits avoided",
        ),
        Component(
            "Inpatient days avoided",
            days,
            values["inpatient_day"],
            days * values["inpatient_day"],
            f"holds expected at {values['baseline_hold_rate']:.1%} of {responses:,} encounters "
            f"less the {holds:,} that happened, × {values['hold_days']:g} days",
        ),
        Component(
            "Officer hours returned to patrol",
            officer_hours_saved,
            values["officer_hour"],
            officer_hours_saved * values["officer_hour"],
            "measured: team cleared − officer cleared, summed",
        ),
    ]
    result.cost_avoided = sum(c.amount for c in result.components)
    result.budget, result.expenditure = budget_and_spending(
        programs, period.first_day, period.last_day
    )
    result.co_responders = co_responders(programs)
    return result
