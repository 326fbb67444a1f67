"""Comparisons, trends, breakdowns and the equity view, with intervals and small-number
suppression. Everything is counted by the database over the fact tables; Python only merges the
records that identity links tie together (see metrics._people) and does the statistics.

Suppression (shared reports and the public page): a cell is hidden when it counts fewer than
MIN_CELL people, or when an outcome in it happened to between 1 and MIN_CELL - 1 people; when a
breakdown hides exactly one cell of an outcome, the next smallest cell is hidden too, so the
hidden one cannot be worked out from the total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from coresponse.agencies.models import Program
from coresponse.dispatch.models import CallSource
from coresponse.insights import catalogue, facts, stats
from coresponse.insights.filters import AGE_BANDS, Filters, group_label
from coresponse.insights.metrics import (
    REPEAT_WINDOW,
    Evaluation,
    Metric,
    encounter_facts,
    linked_records,
    rolled_up,
)
from coresponse.insights.sql import analytic_queries
from coresponse.people.identity import humans

MIN_CELL = 11

# Outcomes of the equity view and the breakdowns: (key, label, fact condition, catalogue key).
OUTCOMES = (
    ("arrest", "Arrest", Q(arrest=True), "arrests"),
    ("use_of_force", "Use of force", Q(use_of_force=True), "use_of_force_rate"),
    ("er_transport", "ER transport", Q(er_transport=True), "er_transport_rate"),
    ("involuntary_hold", "Involuntary hold", Q(involuntary_hold=True), "involuntary_hold_rate"),
    ("service", "Service provided", Q(service=True), "service_rate"),
)
EQUITY_DIMENSIONS = (
    ("race_ethnicity", "Race and ethnicity"),
    ("sex", "Sex"),
    ("age_band", "Age"),
    ("district", "District"),
)

# Rates a monthly trend can draw: key -> (numerator condition, denominator condition).
TREND_RATES = {
    "arrest_avoided_rate": (Q(arrest=False), Q()),
    "resolved_on_scene_rate": (Q(resolved_on_scene=True), Q()),
    "service_rate": (Q(service=True), Q()),
    "er_transport_rate": (Q(er_transport=True), Q()),
    "involuntary_hold_rate": (Q(involuntary_hold=True), Q()),
    "hospital_diversion_rate": (Q(er_transport=False, hospital_admission=False), Q()),
    "no_er_no_jail_rate": (Q(er_transport=False, jail_booking=False), Q()),
    "diversion_rate": (
        Q(arrest_eligible=True, arrest=False, referred=True),
        Q(arrest_eligible=True),
    ),
    "use_of_force_rate": (Q(use_of_force=True), Q()),
    "officer_early_return_rate": (Q(officer_early=True), Q()),
}
# The same rates as FactDay columns (numerator, denominator): see metrics.rolled_up.
TREND_COLUMNS = {
    "arrest_avoided_rate": ("no_arrest", "total"),
    "resolved_on_scene_rate": ("resolved", "total"),
    "service_rate": ("served", "total"),
    "er_transport_rate": ("er", "total"),
    "involuntary_hold_rate": ("holds", "total"),
    "hospital_diversion_rate": ("no_hospital", "total"),
    "no_er_no_jail_rate": ("no_er_no_jail", "total"),
    "diversion_rate": ("diverted", "eligible"),
    "use_of_force_rate": ("force", "total"),
    "officer_early_return_rate": ("early", "total"),
}


# --- comparisons --------------------------------------------------------------------------------


@dataclass
class Change:
    """One metric now and in the baseline (a period or a comparison group), with intervals."""

    key: str
    current: Metric
    baseline: Metric
    current_ci: stats.Interval | None = None
    baseline_ci: stats.Interval | None = None
    difference: float | None = None  # current − baseline (rate points, or minutes)
    difference_ci: stats.Interval | None = None
    relative: float | None = None  # current / baseline − 1
    relative_ci: stats.Interval | None = None

    @property
    def significant(self) -> bool:
        ci = self.difference_ci or self.relative_ci
        return bool(ci and (ci.low > 0 or ci.high < 0))

    @property
    def direction(self) -> str:
        """'better', 'worse' or '' (no clear change, or a volume)."""
        better = catalogue.definition(self.key).higher_is_better
        if better is None or not self.significant or self.difference is None:
            if better is None or not self.significant or self.relative is None:
                return ""
            up = self.relative > 0
        else:
            up = self.difference > 0
        return "better" if up == better else "worse"


def intervals(result: Evaluation) -> dict[str, stats.Interval | None]:
    """The 95% interval of each rate (Wilson) and median (bootstrap) of an evaluation
    (remembered on it: the dashboard and the report ask more than once)."""
    cached = getattr(result, "_intervals", None)
    if cached is not None:
        return cached
    out: dict[str, stats.Interval | None] = {}
    for d in catalogue.CATALOGUE:
        m = result.metrics[d.key]
        if d.is_rate and d.key != "budget_utilization" and m.denominator:
            out[d.key] = stats.wilson(int(m.numerator), int(m.denominator))
    for key, hist in (
        ("response_time_median_min", "response_s"),
        ("time_on_scene_median_min", "on_scene_s"),
    ):
        ci = stats.bootstrap_median(result.histograms[hist].bins)
        out[key] = stats.Interval(ci.low / 60, ci.high / 60) if ci else None
    result._intervals = out
    return out


def compare(current: Evaluation, baseline: Evaluation) -> dict[str, Change]:
    now, then = intervals(current), intervals(baseline)
    changes: dict[str, Change] = {}
    for d in catalogue.CATALOGUE:
        a, b = current.metrics[d.key], baseline.metrics[d.key]
        change = Change(d.key, a, b, now.get(d.key), then.get(d.key))
        if d.is_rate and d.key != "budget_utilization" and a.denominator and b.denominator:
            x1, n1, x0, n0 = (
                int(a.numerator),
                int(a.denominator),
                int(b.numerator),
                int(b.denominator),
            )
            diff = stats.newcombe_difference(x1, n1, x0, n0)
            if diff:
                change.difference, change.difference_ci = diff
            rel = stats.relative_change(x1, n1, x0, n0)
            if rel:
                change.relative, change.relative_ci = rel
        elif d.key in ("response_time_median_min", "time_on_scene_median_min"):
            hist = "response_s" if d.key.startswith("response") else "on_scene_s"
            if a.value is not None and b.value is not None:
                change.difference = a.value - b.value
                ci = stats.bootstrap_median_difference(
                    current.histograms[hist].bins, baseline.histograms[hist].bins
                )
                change.difference_ci = stats.Interval(ci.low / 60, ci.high / 60) if ci else None
                change.relative = a.value / b.value - 1 if b.value else None
        elif a.value is not None and b.value:
            change.relative = a.value / b.value - 1
            if d.unit != catalogue.COUNT and d.unit != catalogue.MONEY:
                change.difference = a.value - b.value
        changes[d.key] = change
    return changes


def baseline_period(filters: Filters, kind: str) -> tuple[date, date] | None:
    """The dates of a baseline: 'previous' (the period just before: as many whole calendar
    months when the period is whole months, so a quarter is compared with the quarter before;
    else as many days) or 'last_year' (the same dates a year earlier)."""
    days = (filters.last_day - filters.first_day).days + 1
    months = _whole_months(filters.first_day, filters.last_day)
    if kind == "previous" and months:
        last = filters.first_day - timedelta(days=1)
        first = filters.first_day
        for _ in range(months):
            first = (first - timedelta(days=1)).replace(day=1)
        return first, last
    if kind == "previous":
        last = filters.first_day - timedelta(days=1)
        return last - timedelta(days=days - 1), last
    if kind == "last_year":
        try:
            return (
                filters.first_day.replace(year=filters.first_day.year - 1),
                filters.last_day.replace(year=filters.last_day.year - 1),
            )
        except ValueError:  # February 29
            return filters.first_day - timedelta(days=365), filters.last_day - timedelta(days=365)
    return None


def _whole_months(first: date, last: date) -> int:
    """How many calendar months the dates span when they run from a 1st to a month's last
    day; 0 otherwise."""
    if first.day != 1 or (last + timedelta(days=1)).day != 1:
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


# --- monthly trend ------------------------------------------------------------------------------


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def monthly(
    filters: Filters, key: str = "arrest_avoided_rate", *, fresh: bool = True
) -> list[dict]:
    """A rate per local month of the period with its Wilson interval (None in empty months)."""
    numerator, denominator = TREND_RATES[key]
    if fresh:
        facts.ensure_fresh()
    days = rolled_up(filters, filters.period)
    if days is not None:
        x_column, n_column = TREND_COLUMNS[key]
        rows = (
            days.values("month")
            .annotate(n=Sum(n_column), x=Sum(x_column))
            .order_by()
            .values_list("month", "n", "x")
        )
    else:
        rows = (
            encounter_facts(filters)
            .values("ref_month")
            .annotate(
                n=Count("pk", filter=denominator), x=Count("pk", filter=numerator & denominator)
            )
            .order_by()
            .values_list("ref_month", "n", "x")
        )
    got = {month: (n, x) for month, n, x in rows}
    out = []
    for month in _month_starts(filters.first_day, filters.last_day):
        n, x = got.get(month, (0, 0))
        ci = stats.wilson(x, n)
        out.append(
            {
                "label": month,
                "value": x / n if n else None,
                "low": ci.low if ci else None,
                "high": ci.high if ci else None,
                "numerator": x,
                "denominator": n,
            }
        )
    return out


def monthly_counts(filters: Filters, *, fresh: bool = True) -> list[tuple[date, int]]:
    if fresh:
        facts.ensure_fresh()
    days = rolled_up(filters, filters.period)
    if days is not None:
        rows = dict(
            days.values("month").annotate(n=Sum("total")).order_by().values_list("month", "n")
        )
    else:
        rows = dict(
            encounter_facts(filters)
            .values("ref_month")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("ref_month", "n")
        )
    return [(m, rows.get(m, 0)) for m in _month_starts(filters.first_day, filters.last_day)]


# --- breakdowns and the equity view -------------------------------------------------------------


@dataclass
class Cell:
    """One outcome in one group."""

    key: str
    count: int  # encounters with the outcome
    people: int  # people with the outcome
    rate: float | None
    ci: stats.Interval | None
    suppressed: bool = False

    @property
    def small(self) -> bool:
        return 0 < self.people < MIN_CELL


@dataclass
class Group:
    value: str
    label: str
    encounters: int
    people: int
    cells: dict[str, Cell] = field(default_factory=dict)
    suppressed: bool = False  # the whole group (too few people)

    @property
    def small(self) -> bool:
        return self.people < MIN_CELL


@dataclass
class Breakdown:
    dimension: str
    title: str
    groups: list[Group]
    outcomes: tuple = OUTCOMES

    @property
    def any_small(self) -> bool:
        return any(g.small or any(c.small for c in g.cells.values()) for g in self.groups)


def _labels(dimension: str) -> dict[str, str]:
    if dimension == "program":
        return {str(p.id): p.name for p in Program.objects.all()}
    if dimension == "source":
        return dict(CallSource.choices)
    return {}


def _order(dimension: str, value: str) -> tuple:
    if dimension == "age_band":
        keys = [k for k, *_ in AGE_BANDS]
        return (keys.index(value) if value in keys else len(keys), value)
    return (value == "", value)


def breakdown(
    filters: Filters, dimension: str, title: str = "", *, fresh: bool = True
) -> Breakdown:
    """The OUTCOMES by `dimension` (an EncounterFact column), each cell with the people it
    counts (humans: linked records once) and a Wilson interval."""
    column = {"program": "program_id", "all": None}.get(dimension, dimension)
    if fresh:
        facts.ensure_fresh()
    rows = encounter_facts(filters)
    linked = linked_records()
    keys = (column,) if column else ()
    names = [f"x_{key}" for key, *_ in OUTCOMES]
    outcome_counts = {f"x_{key}": Count("pk", filter=c) for key, _, c, _ in OUTCOMES}

    # Records in no identity link, by group and record (an encounter with no person record is
    # someone we cannot tell apart: one person each), then by group: one sort, no DISTINCT.
    per_record = (
        rows.exclude(linked)
        .annotate(who=Coalesce("person_id", Value(0) - F("encounter_id")))
        .values(*keys, "who")
        .annotate(n=Count("pk"), **outcome_counts)
        .order_by()
        .values_list(*keys, "who", "n", *names)
    )
    inner, params = per_record.query.sql_with_params()
    group = "g" if column else "''"
    columns = ", ".join([*(["g"] if column else []), "who", "n", *names])
    sums = ", ".join(f"SUM({name}), SUM(CASE WHEN {name} > 0 THEN 1 ELSE 0 END)" for name in names)
    with analytic_queries(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH per ({columns}) AS ({inner}) SELECT {group}, SUM(n), COUNT(*), {sums} "
            f"FROM per{' GROUP BY g' if column else ''}",
            params,
        )
        fetched = cursor.fetchall()
    got: dict = {}
    for value, *numbers in fetched:
        n, people, *outcomes = (int(x or 0) for x in numbers)  # PostgreSQL sums are numeric
        if not n:
            continue
        got[value] = {"n": n, "people": people}
        for i, name in enumerate(names):
            got[value][name], got[value][f"p{name}"] = outcomes[2 * i], outcomes[2 * i + 1]

    # Linked records: people merged by human, per group.
    per = rows.filter(linked).values(*keys, "person_id").annotate(n=Count("pk"), **outcome_counts)
    linked_rows = list(per.order_by())

    human_of = humans({r["person_id"] for r in linked_rows})
    extra_people: dict = defaultdict(set)
    extra_outcome: dict = defaultdict(set)
    for r in linked_rows:
        value, human = r[column] if column else "", human_of[r["person_id"]]
        extra_people[value].add(human)
        totals = got.setdefault(value, {"n": 0, "people": 0})
        totals["n"] += r["n"]
        for name in names:
            totals[name] = totals.get(name, 0) + r[name]
            if r[name]:
                extra_outcome[(value, name)].add(human)

    labels = _labels(dimension)
    groups = []
    for value, r in got.items():
        if not r["n"]:
            continue
        text = "" if value is None else str(value)
        label = "All" if dimension == "all" else labels.get(text) or group_label(dimension, text)
        group = Group(text, label, r["n"], r["people"] + len(extra_people[value]))
        for key, *_ in OUTCOMES:
            x = r.get(f"x_{key}", 0)
            group.cells[key] = Cell(
                key,
                x,
                r.get(f"px_{key}", 0) + len(extra_outcome[(value, f"x_{key}")]),
                x / r["n"],
                stats.wilson(x, r["n"]),
            )
        groups.append(group)
    groups.sort(key=lambda g: _order(dimension, g.value))
    return Breakdown(dimension, title or dimension, groups)


def equity(filters: Filters, *, fresh: bool = True) -> list[Breakdown]:
    if fresh:
        facts.ensure_fresh()
    return [breakdown(filters, dim, title, fresh=False) for dim, title in EQUITY_DIMENSIONS]


def suppress(table: Breakdown) -> Breakdown:
    """Mark what a shared report or the public page must hide (see the module's rule)."""
    for group in table.groups:
        group.suppressed = group.small
        for cell in group.cells.values():
            cell.suppressed = group.suppressed or cell.small
    for key, *_ in table.outcomes:
        hidden = [g for g in table.groups if g.cells[key].suppressed]
        if len(hidden) == 1:
            shown = [g for g in table.groups if not g.cells[key].suppressed]
            if shown:
                min(shown, key=lambda g: g.cells[key].count).cells[key].suppressed = True
    return table


def repeat_window_days() -> int:
    return REPEAT_WINDOW.days


def totals(filters: Filters) -> dict:
    """People-free totals for the public page: encounters and the outcomes counted."""
    got = encounter_facts(filters).aggregate(
        n=Count("pk"), **{f"x_{key}": Count("pk", filter=c) for key, _, c, _ in OUTCOMES}
    )
    got["referrals"] = encounter_facts(filters).aggregate(s=Sum("referrals_sent"))["s"] or 0
    return got
