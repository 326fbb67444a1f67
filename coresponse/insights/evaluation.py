"""The evaluation pack: each headline figure the field publishes beside the same figure computed
here, on this deployment's data, so a new program sees where it stands.

The published values are those the project's design brief lists (docs/metrics.md, "The
evaluation pack", names each source). They come from other programs, populations, periods and
definitions: the pack places a program among them, it does not rank it.
"""

from __future__ import annotations

from dataclasses import dataclass

from coresponse.insights import catalogue
from coresponse.insights.filters import Filters
from coresponse.insights.metrics import cached_evaluate


@dataclass(frozen=True)
class Published:
    program: str  # whose figure
    figure: str  # what they published, in their words
    value: float  # as a fraction (rates), a count, or money
    key: str  # the catalogue metric that computes the same thing here
    source: str
    note: str = ""  # how the definitions differ
    annual: bool = False  # money per year: ours is scaled to a year


PUBLISHED: tuple[Published, ...] = (
    Published(
        "Colorado OBH co-responder programs",
        "98% of calls did not end in arrest",
        0.98,
        "arrest_avoided_rate",
        "Colorado Department of Human Services, press release of 13 Oct 2021 (Colorado Health "
        "Institute evaluation; 25,900 calls, July 2020 to June 2021)",
    ),
    Published(
        "Colorado OBH co-responder programs",
        "86% of active calls received a service",
        0.86,
        "service_rate",
        "Colorado Department of Human Services, 13 Oct 2021",
        "Colorado counts 'active' calls; here every crisis encounter is in the denominator.",
    ),
    Published(
        "Colorado OBH co-responder programs",
        "Involuntary holds fell from 8.3% to 3.2% of calls",
        0.032,
        "involuntary_hold_rate",
        "Colorado Department of Human Services, 13 Oct 2021 (September 2019 vs September 2020)",
    ),
    Published(
        "Colorado OBH co-responder programs",
        "68.8% of frequent clients enrolled in long-term behavioral-health care",
        0.688,
        "frequent_client_enrollment_rate",
        "Colorado Health Institute evaluation of the OBH co-responder program, as cited in the "
        "project brief",
        "Frequent client here: 3 or more crisis encounters in 12 months.",
    ),
    Published(
        "Arapahoe County Sheriff's Office",
        "70% of follow-ups connected the person to services",
        0.70,
        "followup_connection_rate",
        "Arapahoe County Sheriff's Office Behavioral Health Response Program, as cited in the "
        "project brief",
    ),
    Published(
        "Arapahoe County Sheriff's Office",
        "40% of contacts avoided both the ER and jail",
        0.40,
        "no_er_no_jail_rate",
        "Arapahoe County Sheriff's Office, as cited in the project brief",
        "A low published share reflects a population sent to the program because ER or jail "
        "was likely.",
    ),
    Published(
        "Larimer County co-responders",
        "4% of contacts were transported to an ER",
        0.04,
        "er_transport_rate",
        "Larimer County co-responder program, as cited in the project brief",
    ),
    Published(
        "Larimer County co-responders",
        "$4.9 million in costs avoided",
        4_900_000,
        "cost_avoided",
        "As cited in the project brief",
        "Cost models differ: compare the components, not only the total (docs/metrics.md).",
    ),
    Published(
        "Denver co-responder program (CIRU)",
        "$458,000 spent of a $1 million budget (2018)",
        0.458,
        "budget_utilization",
        "9News, reporting the Denver Department of Public Health and Environment to City "
        "Council (2019): $1 million budgeted, $458,000 spent in 2018",
    ),
    Published(
        "Boston Police Department co-response",
        "9 arrests in more than 1,000 encounters",
        0.009,
        "arrests",
        "Boston Police Department and Boston Emergency Services Team; see Morabito et al., "
        "'Police Response to People With Mental Illnesses in a Major U.S. City: The Boston "
        "Experience With the Co-Responder Model', Victims & Offenders 13(8), 2018",
        "Compared as a share of encounters (9 of 1,000 = 0.9%).",
    ),
    Published(
        "Boston Police Department co-response",
        "About 400 of 1,000+ encounters resolved on scene",
        0.40,
        "resolved_on_scene_rate",
        "Boston Police Department; Morabito et al. 2018",
        "Compared as a share of encounters (about 400 of 1,000 = 40%).",
    ),
    Published(
        "Johns Hopkins (Baltimore) co-responders",
        "572 cases",
        572,
        "responses",
        "As cited in the project brief",
        "A volume: it tells a program's scale, not its results.",
    ),
    Published(
        "University of Florida co-responders",
        "57% of encounters diverted from the hospital",
        0.57,
        "hospital_diversion_rate",
        "As cited in the project brief",
    ),
    Published(
        "Bensalem (PA) Police",
        "55% of arrest-eligible contacts diverted",
        0.55,
        "diversion_rate",
        "As cited in the project brief",
    ),
    Published(
        "Co-responder programs (brief)",
        "Officers returned to patrol early on 38.4% of calls (from 26.4%)",
        0.384,
        "officer_early_return_rate",
        "As cited in the project brief",
    ),
    Published(
        "Boulder County co-responders",
        "$350,000 a year in costs avoided per co-responder",
        350_000,
        "cost_avoided_per_co_responder",
        "As cited in the project brief",
        "Ours is scaled to a year (× 365 / the period's days).",
        annual=True,
    ),
)


@dataclass
class Row:
    published: Published
    ours: float | None
    ours_text: str
    published_text: str
    numerator: str
    standing: str  # "higher", "lower", "about the same", or "" (no data)
    verdict: str = ""  # "better" / "worse" where the metric has a better direction


def _text(key: str, value: float | None, currency: str | None) -> str:
    from coresponse.insights.selectors import money, pct

    if value is None:
        return "—"
    unit = catalogue.definition(key).unit
    if unit == catalogue.RATE or key == "arrests":
        return pct(value, 1)
    if unit == catalogue.MONEY:
        return money(value, currency)
    return f"{value:,.0f}"


def pack(filters: Filters) -> dict:
    """The pack for the filters' programs and period."""
    result = cached_evaluate(filters)
    currency = result.cost.currency if result.cost else "USD"
    rows = []
    for p in PUBLISHED:
        m = result.metrics[p.key]
        ours = m.value
        numerator = ""
        if p.key == "arrests":  # a count published against its encounters: compare shares
            responses = result.metrics["responses"].value
            ours = m.value / responses if responses else None
            numerator = f"{m.value:,} of {responses:,} crisis encounters"
        elif m.denominator is not None and m.numerator is not None:
            numerator = f"{m.numerator:,.0f} of {m.denominator:,.0f}"
        if p.annual and ours is not None:
            ours = ours * 365 / filters.period.days
        standing = ""
        if ours is not None and p.value:
            ratio = ours / p.value
            if 0.95 <= ratio <= 1.05:
                standing = "about the same"
            else:
                standing = "higher" if ratio > 1 else "lower"
        better = catalogue.definition(p.key).higher_is_better
        verdict = ""
        if standing in ("higher", "lower") and better is not None:
            verdict = "better" if (standing == "higher") == better else "worse"
        rows.append(
            Row(
                p,
                ours,
                _text(p.key, ours, currency),
                _text(p.key, p.value, "USD"),
                numerator,
                standing,
                verdict,
            )
        )
    return {"rows": rows, "result": result, "currency": currency}
