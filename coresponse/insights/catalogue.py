"""The metrics catalogue: every metric's key, what it counts, and the unit of its value.

One list for the engine's output order, the command line, the API schema, the dashboard's tiles
and docs/metrics.md (a test checks that every key is defined there). The definitions here are
the short forms shown on hover; docs/metrics.md has the full ones.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNT, RATE, MINUTES, HOURS, MONEY = "count", "rate", "minutes", "hours", "money"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    unit: str  # COUNT, RATE, MINUTES, HOURS or MONEY
    numerator: str  # what the numerator counts ("" when the metric has none)
    denominator: str  # what the denominator counts ("" when none)
    higher_is_better: bool | None = None  # None: neither (a volume)
    # The outcome behind an equity breakdown or a drill-down: an Encounter field.
    flag: str = ""

    @property
    def is_rate(self) -> bool:
        return self.unit == RATE


CRISIS = "crisis encounters"
CATALOGUE: tuple[Definition, ...] = (
    Definition("calls_received", "Calls received", COUNT, "calls received in the period", ""),
    Definition(
        "calls_eligible",
        "Calls eligible",
        COUNT,
        "calls whose triage recommended a co-responder or civilian team",
        "",
    ),
    Definition("responses", "Crisis responses", COUNT, CRISIS, ""),
    Definition(
        "persons_served",
        "People served",
        COUNT,
        "distinct people with a crisis encounter (linked records count once)",
        "",
    ),
    Definition(
        "response_time_median_min",
        "Median response time",
        MINUTES,
        "",
        "crisis encounters with a call time and an on-scene time",
        higher_is_better=False,
    ),
    Definition(
        "response_time_p90_min",
        "90th-percentile response time",
        MINUTES,
        "",
        "crisis encounters with a call time and an on-scene time",
        higher_is_better=False,
    ),
    Definition(
        "time_on_scene_median_min",
        "Median time on scene",
        MINUTES,
        "",
        "crisis encounters with an on-scene and a cleared time",
    ),
    Definition(
        "arrest_avoided_rate",
        "Without arrest",
        RATE,
        "crisis encounters without an arrest",
        CRISIS,
        higher_is_better=True,
        flag="arrest",
    ),
    Definition(
        "arrests", "Arrests", COUNT, "crisis encounters with an arrest", "", False, "arrest"
    ),
    Definition(
        "resolved_on_scene_rate",
        "Resolved on scene",
        RATE,
        "crisis encounters with the disposition resolved on scene",
        CRISIS,
        higher_is_better=True,
        flag="resolved_on_scene",
    ),
    Definition(
        "service_rate",
        "With a service",
        RATE,
        "crisis encounters with at least one service provided",
        CRISIS,
        higher_is_better=True,
        flag="service",
    ),
    Definition(
        "er_transport_rate",
        "ER transport",
        RATE,
        "crisis encounters with a transport to an emergency room",
        CRISIS,
        higher_is_better=False,
        flag="er_transport",
    ),
    Definition(
        "involuntary_hold_rate",
        "Involuntary hold",
        RATE,
        "crisis encounters ending in an involuntary hold",
        CRISIS,
        higher_is_better=False,
        flag="involuntary_hold",
    ),
    Definition(
        "hospital_diversion_rate",
        "Hospital diversion",
        RATE,
        "crisis encounters with neither ER transport nor hospital admission",
        CRISIS,
        higher_is_better=True,
    ),
    Definition(
        "no_er_no_jail_rate",
        "No ER, no jail",
        RATE,
        "crisis encounters with neither ER transport nor jail booking",
        CRISIS,
        higher_is_better=True,
    ),
    Definition(
        "diversion_rate",
        "Diversion",
        RATE,
        "arrest-eligible crisis encounters ending without arrest and with a referral",
        "arrest-eligible crisis encounters",
        higher_is_better=True,
    ),
    Definition(
        "use_of_force_rate",
        "Use of force",
        RATE,
        "crisis encounters with force used",
        CRISIS,
        higher_is_better=False,
        flag="use_of_force",
    ),
    Definition(
        "officer_early_return_rate",
        "Officer returned early",
        RATE,
        "crisis encounters where the officer cleared before the team",
        CRISIS,
        higher_is_better=True,
    ),
    Definition(
        "officer_hours_saved",
        "Officer hours saved",
        HOURS,
        "",
        "crisis encounters where the officer cleared before the team",
        higher_is_better=True,
    ),
    Definition(
        "followup_connection_rate",
        "Follow-ups connected",
        RATE,
        "completed follow-ups with the outcome connected to care",
        "completed follow-ups of the period's crisis encounters",
        higher_is_better=True,
    ),
    Definition(
        "referral_completion_rate",
        "Referrals completed",
        RATE,
        "referrals completed",
        "referrals sent from the period's crisis encounters",
        higher_is_better=True,
    ),
    Definition(
        "frequent_client_enrollment_rate",
        "Frequent clients in long-term care",
        RATE,
        "frequent clients with an enrollment starting on or after their first crisis encounter",
        "frequent clients: people with 3 or more crisis encounters in the 12 months to the "
        "period's end, one of them in the period",
        higher_is_better=True,
    ),
    Definition(
        "repeat_crisis_30d_rate",
        "Repeat crisis within 30 days",
        RATE,
        "crisis encounters followed by another crisis encounter of the same person within 30 days",
        CRISIS,
        higher_is_better=False,
    ),
    Definition(
        "cost_avoided",
        "Cost avoided",
        MONEY,
        "",
        "",
        higher_is_better=True,
    ),
    Definition(
        "cost_per_person_served",
        "Cost per person served",
        MONEY,
        "program expenditure in the period",
        "people served",
    ),
    Definition(
        "cost_avoided_per_co_responder",
        "Cost avoided per co-responder",
        MONEY,
        "cost avoided",
        "co-responders (clinicians, paramedics and peers on the program's teams)",
        higher_is_better=True,
    ),
    Definition(
        "budget_utilization",
        "Budget used",
        RATE,
        "expenditure in the period",
        "budget for the period (each budget pro-rated by the days of its period that fall in it)",
    ),
)
BY_KEY = {d.key: d for d in CATALOGUE}
KEYS = tuple(d.key for d in CATALOGUE)


def definition(key: str) -> Definition:
    return BY_KEY[key]
