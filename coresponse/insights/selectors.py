"""Reads for the insights pages: who may see them, the home summary, the dashboard, drill-downs,
the equity view, the evaluation pack and the public transparency page.

Aggregates only, from the engine (insights.metrics), for the programs the viewer's agencies are
partners in. The one person-level read, a drill-down from a tile to the encounters behind it,
goes through `coresponse.field.selectors` (visible_encounters, with_person_labels) so the
disclosure policy decides each row; an outcome tied to a data category (an arrest is criminal
justice, an ER transport medical, a hold mental health) lists only the encounters whose records
the policy lets the viewer see that category of (`privacy.selectors.agencies_allowing`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Q, Sum

from coresponse.agencies.models import Agency, Role, Team
from coresponse.dispatch.models import CallSource
from coresponse.dispatch.selectors import AsOf, as_of, partner_programs
from coresponse.insights import analysis, catalogue, charts, facts
from coresponse.insights.filters import AGE_BANDS, Filters, Period
from coresponse.insights.memo import recall, remember
from coresponse.insights.metrics import cached_evaluate
from coresponse.insights.models import CallDay, FactDay
from coresponse.people.models import RaceEthnicity, Sex
from coresponse.privacy.selectors import memberships

# Who opens the insights pages: the roles that run a program and answer for it.
INSIGHTS_ROLES = frozenset({Role.PROGRAM_MANAGER, Role.SUPERVISOR, Role.AGENCY_ADMIN})


def can_view(user) -> bool:
    return any(m.role in INSIGHTS_ROLES for m in memberships(user))


def sees_small_cells(user) -> bool:
    """Program managers see groups of fewer than 11 people (marked); for supervisors and agency
    admins, who may not see the clinical records behind them, they are hidden as in a shared
    report."""
    return any(m.role == Role.PROGRAM_MANAGER for m in memberships(user))


def user_programs(user):
    return partner_programs(user).order_by("name")


def user_filters(user, params, *, default_days: int = 90) -> Filters:
    """Filters from query parameters, limited to the user's partner programs; without dates,
    the `default_days` to the data's last day (dispatch.selectors.as_of)."""
    return Filters.parse(
        params,
        allowed_programs=user_programs(user),
        default_days=default_days,
        today=as_of().today,
    )


# --- figures as the pages print them ------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One headline number with what it counts (numerator and denominator when a rate)."""

    label: str
    value: str
    detail: str
    key: str = ""


def pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def rate_text(value: float | None) -> str:
    """A headline rate: whole percent, one decimal under 10% (7 of 1,679 is 0.4%, not 0%)."""
    return pct(value, 1 if value is not None and 0 < value < 0.1 else 0)


def signed(value: float, digits: int = 1) -> str:
    """'+1.3', '-0.4', and '0.0' rather than '-0.0'."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def signed_share(value: float) -> str:
    """A relative change: '+3%', '-12%', and '0%' rather than '-0%'."""
    return f"{signed(value * 100, 0)}%"


def minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} min"


def money(value: float | None, currency: str | None = "USD") -> str:
    if value is None:
        return "—"
    symbol = "$" if currency in ("USD", None) else f"{currency} "
    if abs(value) >= 1_000_000:
        return f"{symbol}{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{symbol}{value / 1000:.0f}k"
    return f"{symbol}{value:,.0f}"


def formatted(key: str, metric, currency: str | None = "USD") -> str:
    unit = catalogue.definition(key).unit
    if unit == catalogue.RATE:
        return rate_text(metric.value)
    if unit == catalogue.MINUTES:
        return minutes(metric.value)
    if unit == catalogue.HOURS:
        return "—" if metric.value is None else f"{metric.value:,.0f} h"
    if unit == catalogue.MONEY:
        return money(metric.value, currency)
    return "—" if metric.value is None else f"{metric.value:,.0f}"


def detail(key: str, metric) -> str:
    """'412 of 420 crisis encounters', 'median of 398 timed responses', ..."""
    d = catalogue.definition(key)
    if d.unit == catalogue.RATE:
        n = metric.numerator or 0
        return f"{n:,} of {metric.denominator or 0:,} {d.denominator}"
    if d.unit == catalogue.MINUTES:
        return f"of {metric.denominator or 0:,} {d.denominator}"
    if d.unit == catalogue.HOURS:
        return f"over {metric.denominator or 0:,} {d.denominator}"
    return d.numerator


# --- the home page of program managers and supervisors ------------------------------------------


def _home_figures(m) -> list[Figure]:
    responses = m["responses"].value
    timed = m["response_time_median_min"].denominator or 0
    return [
        Figure("Calls received", f"{m['calls_received'].value:,}", "calls for service", "calls"),
        Figure("Crisis responses", f"{responses:,}", "crisis encounters on scene", "responses"),
        Figure(
            "Without arrest",
            pct(m["arrest_avoided_rate"].value),
            f"{m['arrest_avoided_rate'].numerator:,} of {responses:,} responses",
            "arrest_avoided",
        ),
        Figure(
            "Resolved on scene",
            pct(m["resolved_on_scene_rate"].value),
            f"{m['resolved_on_scene_rate'].numerator:,} of {responses:,} responses",
            "resolved",
        ),
        Figure(
            "Median response",
            minutes(m["response_time_median_min"].value),
            f"call to on scene, median of {timed:,} timed responses",
            "response_time",
        ),
        Figure(
            "Follow-ups connected",
            pct(m["followup_connection_rate"].value),
            f"{m['followup_connection_rate'].numerator or 0:,} of "
            f"{m['followup_connection_rate'].denominator or 0:,} completed follow-ups",
            "followups",
        ),
    ]


def calls_per_day(filters: Filters, period: Period) -> list[tuple[date, int]]:
    """(local day, calls) for each day of the period, zero days included (from CallDay)."""
    days = CallDay.objects.filter(day__gte=period.first_day, day__lte=period.last_day)
    if filters.program_ids:
        days = days.filter(program_id__in=filters.program_ids)
    counts = dict(days.values("day").annotate(n=Sum("calls")).order_by().values_list("day", "n"))
    first = period.first_day
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
        for i in range(period.days)
    ]


def home_filters(program_ids: tuple[int, ...], at: AsOf) -> tuple[Filters, Period]:
    """The home page's question: the last 30 days of these programs."""
    period = Period(at.days_back(30), at.end)
    return Filters(period.first_day, period.last_day, program_ids=program_ids or (0,)), period


def warm(*, persist: bool = True) -> int:
    """Answer, ahead of the first visitor, the default questions of every agency whose staff
    open the insights pages: its home page and its dashboard, for all its programs and each
    one. Returns how many questions were answered."""
    from coresponse.agencies.models import Membership, Program

    at = as_of()
    agencies = Membership.objects.filter(role__in=INSIGHTS_ROLES).values_list(
        "agency_id", flat=True
    )
    answered = 0
    for agency_id in sorted(set(agencies)):
        programs = list(Program.objects.filter(agencies=agency_id).order_by("name"))
        sets = [tuple(sorted(p.id for p in programs))] + [(p.id,) for p in programs]
        for program_ids in dict.fromkeys(sets):
            if not program_ids:
                continue
            filters, period = home_filters(program_ids, at)
            cached_evaluate(filters, period, persist=persist)
            params = {"program": str(program_ids[0])} if len(program_ids) == 1 else {}
            allowed = Program.objects.filter(pk__in=program_ids)
            # The default dashboard (90 days) and every period of the picker (the last full
            # quarter is the board's question).
            for preset in ("", *(value for value, _ in PRESETS)):
                asked = _with_preset({**params, "preset": preset} if preset else params)
                dash = Filters.parse(asked, allowed_programs=allowed, today=at.today)
                base = dash.with_period(*analysis.baseline_period(dash, "previous"))
                dashboard_data(dash, base, "arrest_avoided_rate", persist=persist)
                dashboard_groups(dash, persist=persist)
            answered += 1
    return answered


def home(user, at: AsOf, program: str | None) -> dict:
    """The last 30 days at a glance, for one of the user's programs or all of them."""
    programs = list(user_programs(user))
    chosen = None
    if program and program.isdigit():
        chosen = next((p for p in programs if p.id == int(program)), None)
    elif program is None and len(programs) == 1:
        chosen = programs[0]  # one program: its numbers first; "all" is one click away
    program_ids = (chosen.id,) if chosen else tuple(sorted(p.id for p in programs))
    filters, period = home_filters(program_ids, at)
    result = cached_evaluate(filters, period)
    per_day = calls_per_day(filters, period)
    return {
        "programs": programs,
        "program": chosen,
        "period": period,
        "period_last_day": at.today,
        "figures": _home_figures(result.metrics),
        "chart": charts.bar_chart(per_day),
        "per_day": per_day,
        "refreshed_at": result.refreshed_at,
        "dashboard_query": filters.query(),
    }


# --- the dashboard ------------------------------------------------------------------------------

# The tiles of the dashboard, in order: the question each answers first.
TILES = (
    "responses",
    "persons_served",
    "arrest_avoided_rate",
    "service_rate",
    "resolved_on_scene_rate",
    "er_transport_rate",
    "involuntary_hold_rate",
    "use_of_force_rate",
    "followup_connection_rate",
    "repeat_crisis_30d_rate",
    "response_time_median_min",
    "officer_hours_saved",
    "cost_avoided",
    "budget_utilization",
)
# Tiles whose encounters can be listed (the drill-down): key -> (fact condition, data category).
DRILLDOWNS = {
    "responses": ({}, None),
    "arrests": ({"arrest": True}, "criminal_justice"),
    "arrest_avoided_rate": ({"arrest": False}, "criminal_justice"),
    "resolved_on_scene_rate": ({"resolved_on_scene": True}, None),
    "service_rate": ({"service": True}, None),
    "er_transport_rate": ({"er_transport": True}, "medical"),
    "involuntary_hold_rate": ({"involuntary_hold": True}, "mental_health"),
    "use_of_force_rate": ({"use_of_force": True}, "criminal_justice"),
    "officer_early_return_rate": ({"officer_early": True}, None),
    "diversion_rate": (
        {"arrest_eligible": True, "arrest": False, "referred": True},
        "criminal_justice",
    ),
}
PRESETS = (
    ("30", "Last 30 days"),
    ("quarter", "Last full quarter"),
    ("365", "Last 12 months"),
    ("year", "This year to date"),
)
BASELINES = (
    ("previous", "the period just before"),
    ("last_year", "the same dates a year earlier"),
    ("none", "no comparison"),
)


def preset_dates(preset: str, today: date) -> tuple[date, date] | None:
    if preset.isdigit():
        return today - timedelta(days=int(preset) - 1), today
    if preset == "quarter":
        q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        last = q_start - timedelta(days=1)
        return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last
    if preset == "year":
        return date(today.year, 1, 1), today
    return None


@dataclass
class Tile:
    key: str
    label: str
    value: str
    detail: str
    numerator: str
    denominator: str
    ci: str = ""
    change: str = ""
    direction: str = ""  # better / worse / ''
    drilldown: bool = False
    tested: bool = False  # the change has an interval (a rate or a median)
    change_short: str = ""


def _ci_text(key: str, interval) -> str:
    if interval is None:
        return ""
    unit = catalogue.definition(key).unit
    if unit == catalogue.RATE:
        return f"95% CI {interval.low * 100:.1f}–{interval.high * 100:.1f}%"
    if unit == catalogue.MINUTES:
        return f"95% CI {interval.low:.1f}–{interval.high:.1f} min"
    return ""


def change_text(change) -> str:
    """'+3.1 points (95% CI +1.0 to +5.2) vs. the baseline' and the like."""
    if change is None:
        return ""
    d = catalogue.definition(change.key)
    if d.unit == catalogue.RATE and change.difference is not None:
        text = f"{signed(change.difference * 100)} points"
        if change.difference_ci:
            ci = change.difference_ci
            text += f" (95% CI {signed(ci.low * 100)} to {signed(ci.high * 100)})"
        if change.relative is not None:
            text += f", {signed_share(change.relative)} relative"
        return text
    if d.unit == catalogue.MINUTES and change.difference is not None:
        text = f"{signed(change.difference)} min"
        if change.difference_ci:
            ci = change.difference_ci
            text += f" (95% CI {signed(ci.low)} to {signed(ci.high)})"
        return text
    if change.relative is not None:
        return signed_share(change.relative)
    return ""


def _tile_detail(key: str, m, currency) -> str:
    if key == "cost_avoided":
        return "modelled against a police-only response: see the cost model below"
    if key == "budget_utilization":
        if not m.denominator:
            return "no budget recorded for these dates"
        return (
            f"{money(m.numerator, currency)} spent of {money(m.denominator, currency)} "
            "budgeted for the period"
        )
    return detail(key, m)


def short_change(change) -> str:
    """'+1.2 points', '-6%', '+0.8 min': the change without its interval."""
    if change is None:
        return ""
    unit = catalogue.definition(change.key).unit
    if unit == catalogue.RATE and change.difference is not None:
        return f"{signed(change.difference * 100)} points"
    if unit == catalogue.MINUTES and change.difference is not None:
        return f"{signed(change.difference)} min"
    if change.relative is not None:
        return signed_share(change.relative)
    return ""


def tiles(result, cis, changes, currency) -> list[Tile]:
    out = []
    for key in TILES:
        d = catalogue.definition(key)
        m = result.metrics[key]
        numerator = "" if m.numerator is None else f"{m.numerator:,.0f}"
        denominator = "" if m.denominator is None else f"{m.denominator:,.0f}"
        change = changes.get(key)
        out.append(
            Tile(
                key,
                d.label,
                formatted(key, m, currency),
                _tile_detail(key, m, currency),
                f"{numerator} {d.numerator}".strip() if numerator else d.numerator,
                f"{denominator} {d.denominator}".strip() if denominator else d.denominator,
                _ci_text(key, cis.get(key)),
                change_text(change),
                change.direction if change else "",
                key in DRILLDOWNS,
                bool(change and (change.difference_ci or change.relative_ci)),
                short_change(change),
            )
        )
    return out


def comparison(user, filters: Filters, params) -> tuple[Filters | None, str]:
    """The baseline filters the user asked for and how the page names them."""
    kind = params.get("baseline", "previous")
    group = (params.get("group") or "").strip()
    if group:
        programs = {str(p.id): p for p in user_programs(user)}
        if group in programs and (programs[group].id,) != filters.program_ids:
            return (
                replace(filters, program_ids=(programs[group].id,), labels={}),
                f"{programs[group].name}, same dates",
            )
    dates = analysis.baseline_period(filters, kind)
    if dates is None:
        return None, ""
    first, last = dates
    label = f"{first:%b %-d, %Y} – {last:%b %-d, %Y}"
    return filters.with_period(first, last), label


def districts(filters: Filters) -> list[str]:
    """The districts the filters' programs have crisis encounters in (for the filter form)."""
    days = FactDay.objects.exclude(district="")
    if filters.program_ids:
        days = days.filter(program_id__in=filters.program_ids)
    return list(days.values_list("district", flat=True).distinct().order_by("district"))


def _groups_question(filters: Filters) -> tuple:
    return ("dashboard-groups", sorted(filters.query().items()), filters.program_ids)


def dashboard_groups(filters: Filters, *, persist=False, compute=True) -> dict | None:
    """The dashboard's slow part, the breakdowns and the equity view (one GROUP BY over the
    facts each), remembered until the next rebuild. `compute=False`: only if already known
    (None otherwise), so the page can show the rest at once and ask for these after."""
    question = _groups_question(filters)
    if not compute:
        return recall(question)

    def build() -> dict:
        equity = analysis.equity(filters, fresh=False)
        district = next(t for t in equity if t.dimension == "district")  # counted once
        return {
            "breakdowns": [
                analysis.breakdown(filters, "program", "By program", fresh=False),
                analysis.breakdown(filters, "source", "By call source", fresh=False),
                replace(district, title="By district"),
            ],
            "equity": equity,
        }

    return remember(question, build, persist=persist)


def dashboard_data(
    filters: Filters, base_filters: Filters | None, trend_key: str, *, persist=False
):
    """The dashboard's headline parts (the question and its baseline evaluated, the trend and
    the monthly volume), remembered until the next rebuild (insights.memo)."""
    result = cached_evaluate(filters, persist=persist)
    base = cached_evaluate(base_filters, persist=persist) if base_filters else None
    views = remember(
        ("dashboard", trend_key, sorted(filters.query().items()), filters.program_ids),
        lambda: {
            "trend": analysis.monthly(filters, trend_key, fresh=False),
            "volume": analysis.monthly_counts(filters, fresh=False),
        },
        persist=persist,
    )
    return result, base, views


def groups_view(user, filters: Filters, groups: dict | None) -> dict:
    """The breakdowns and the equity view as `user` may see them (small cells hidden unless
    a program manager); `groups` None: not computed yet (the page asks for them after)."""
    small_cells = sees_small_cells(user)
    out = {"groups_ready": groups is not None, "small_cells": small_cells}
    out["min_cell"], out["outcomes"] = analysis.MIN_CELL, analysis.OUTCOMES
    out["query"] = filters.query()
    if groups is None:
        return out
    breakdowns, equity = groups["breakdowns"], groups["equity"]
    if not small_cells:
        breakdowns = [analysis.suppress(copy.deepcopy(t)) for t in breakdowns]
        equity = [analysis.suppress(copy.deepcopy(t)) for t in equity]
    out.update(breakdowns=breakdowns, equity=equity)
    return out


def dashboard_groups_page(user, params) -> dict:
    """The breakdowns and equity view of the dashboard's question (the part sent after)."""
    filters = user_filters(user, _with_preset(params))
    facts.ensure_fresh()
    return groups_view(user, filters, dashboard_groups(filters))


def _with_preset(params):
    params = params.copy() if hasattr(params, "copy") else dict(params)
    preset = params.get("preset", "")
    if preset and not params.get("from"):
        dates = preset_dates(preset, as_of().today)
        if dates:
            params["from"], params["to"] = dates[0].isoformat(), dates[1].isoformat()
    return params


def dashboard(user, params) -> dict:
    """Everything the program manager's dashboard shows (raises FilterError on bad input)."""
    preset = params.get("preset", "")
    params = _with_preset(params)
    filters = user_filters(user, params)
    base_filters, base_label = comparison(user, filters, params)
    trend_key = params.get("trend", "arrest_avoided_rate")
    if trend_key not in analysis.TREND_RATES:
        trend_key = "arrest_avoided_rate"
    result, base, views = dashboard_data(filters, base_filters, trend_key)
    changes = analysis.compare(result, base) if base else {}
    cis = analysis.intervals(result)
    currency = result.cost.currency if result.cost else "USD"
    trend, volume = views["trend"], views["volume"]
    # The breakdowns come with the page when known; else the page asks for them after
    # (views.dashboard_groups), so the headline answers are not kept waiting.
    inline = params.get("groups") == "now"
    groups = dashboard_groups(filters, compute=inline) if inline else None
    groups = groups or dashboard_groups(filters, compute=False)
    return {
        **groups_view(user, filters, groups),
        "filters": filters,
        "query": filters.query(),
        "result": result,
        "metrics_rows": metric_rows(result, cis, changes, currency),
        "tiles": tiles(result, cis, changes, currency),
        "baseline": base,
        "baseline_label": base_label,
        "baseline_kind": params.get("baseline", "previous"),
        "group": params.get("group", ""),
        "trend_key": trend_key,
        "trend_label": catalogue.definition(trend_key).label,
        "trend_choices": [(k, catalogue.definition(k).label) for k in analysis.TREND_RATES],
        "trend": trend,
        "trend_chart": charts.line_chart(trend),
        "volume": volume,
        "volume_chart": charts.bar_chart(volume),
        "outcomes": analysis.OUTCOMES,
        "cost": result.cost,
        "currency": currency,
        "programs": list(user_programs(user)),
        "teams": list(
            Team.objects.filter(program__in=user_programs(user)).order_by("program__name", "name")
        ),
        "agencies": list(
            Agency.objects.filter(programs__in=user_programs(user)).distinct().order_by("name")
        ),
        "districts": districts(filters),
        "presets": PRESETS,
        "preset": preset,
        "baselines": BASELINES,
        "sources": CallSource.choices,
        "races": RaceEthnicity.choices,
        "sexes": Sex.choices,
        "age_bands": [(k, label) for k, label, _, _ in AGE_BANDS],
    }


@dataclass
class MetricRow:
    key: str
    label: str
    value: str
    numerator: str
    denominator: str
    definition: str
    ci: str
    baseline: str
    change: str


def metric_rows(result, cis, changes, currency) -> list[MetricRow]:
    rows = []
    for d in catalogue.CATALOGUE:
        m = result.metrics[d.key]
        change = changes.get(d.key)
        rows.append(
            MetricRow(
                d.key,
                d.label,
                formatted(d.key, m, currency),
                "" if m.numerator is None else f"{m.numerator:,.0f}",
                "" if m.denominator is None else f"{m.denominator:,.0f}",
                f"{d.numerator} / {d.denominator}"
                if d.denominator and d.numerator
                else (d.numerator or d.denominator),
                _ci_text(d.key, cis.get(d.key)),
                formatted(d.key, change.baseline, currency) if change else "",
                change_text(change),
            )
        )
    return rows


# --- drill-down: the encounters behind a tile ---------------------------------------------------


def drilldown(user, filters: Filters, key: str):
    """The encounters behind tile `key`, as the disclosure policy lets `user` list them.

    Returns (encounters queryset, how many the figure counts, how many are not listed because
    their records' data category is withheld from the user). Raises KeyError for a tile with
    no drill-down.
    """
    from coresponse.field.selectors import newest_first, visible_encounters
    from coresponse.insights.metrics import encounter_facts
    from coresponse.privacy.selectors import agencies_allowing

    condition, category = DRILLDOWNS[key]
    facts.ensure_fresh()
    rows = encounter_facts(filters).filter(**condition)
    counted = rows.count()
    encounters = visible_encounters(user).filter(pk__in=rows.values("encounter_id"))
    if category:
        allowed = agencies_allowing(user, category)
        encounters = encounters.filter(Q(person__isnull=True) | Q(person__agency_id__in=allowed))
    encounters = newest_first(encounters)
    return encounters, counted
