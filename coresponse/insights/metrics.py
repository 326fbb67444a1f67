"""The metrics engine: each catalogue metric with its numerator and denominator.

    evaluate(filters) -> Evaluation          # every catalogue key, for the UI, API, CLI, reports
    compute(period, program_id=None)         # the same metrics for a Period, as a dict

Definitions live in docs/metrics.md (and, short, in insights.catalogue); this module is their one
implementation. The period applies to the call's `received_at` (an encounter without a call, such
as outreach, counts by when the team was dispatched or arrived). Unless stated, the population is
crisis encounters. Rates are fractions between 0 and 1 and are None when the denominator is empty,
never 0; durations are minutes; money is in the programs' currency.

Everything is counted by the database over the fact tables (insights.facts): one aggregate query
for the encounter outcomes, one per duration for its histogram (medians and percentiles are read
off the histogram), one GROUP BY person for the people counts, and the per-day call counts. People
are counted as humans through `coresponse.people.identity.humans` (linked records count once).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import BooleanField, Case, Count, Max, Min, Q, QuerySet, Sum, When
from django.utils import timezone

from coresponse.care.models import Enrollment
from coresponse.insights import catalogue, costs, facts
from coresponse.insights.filters import NOT_RECORDED, Filters, Period, local_midnight
from coresponse.insights.models import CallDay, EncounterFact, FactDay
from coresponse.insights.sql import analytic_queries
from coresponse.people.identity import humans

__all__ = ["Evaluation", "Filters", "Histogram", "Metric", "Period", "compute", "evaluate"]

FREQUENT_CLIENT_MIN_ENCOUNTERS = 3
FREQUENT_CLIENT_WINDOW = timedelta(days=365)
REPEAT_WINDOW = facts.REPEAT_WINDOW
LOOKUP_BATCH = 900  # ids per IN (...): below SQLite's oldest limit of 999 parameters


@dataclass(frozen=True)
class Metric:
    value: float | None
    numerator: float | None = None
    denominator: int | None = None

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


def rate(numerator: int, denominator: int) -> Metric:
    return Metric(numerator / denominator if denominator else None, numerator, denominator)


def count(n: int) -> Metric:
    return Metric(n, n, None)


@dataclass(frozen=True)
class Histogram:
    """Values (whole seconds) with how often each occurs, sorted by value."""

    bins: tuple[tuple[int, int], ...]

    @property
    def n(self) -> int:
        return sum(c for _, c in self.bins)

    def _at_rank(self, rank: int) -> int:
        """The value at 1-based `rank` of the sorted data."""
        seen = 0
        for value, c in self.bins:
            seen += c
            if seen >= rank:
                return value
        raise IndexError(rank)

    def median(self) -> float | None:
        """The middle value, or the mean of the two middle ones (as statistics.median)."""
        n = self.n
        if not n:
            return None
        if n % 2:
            return float(self._at_rank(n // 2 + 1))
        return (self._at_rank(n // 2) + self._at_rank(n // 2 + 1)) / 2

    def percentile(self, q: float) -> float | None:
        """Nearest rank: the smallest value with at least q of the data at or below it."""
        n = self.n
        if not n:
            return None
        return float(self._at_rank(max(1, math.ceil(round(n * q, 9)))))


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of a list (the Histogram's rule)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(round(len(ordered) * q, 9))) - 1]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


@dataclass
class Evaluation:
    """The answer to one question: every metric, and what the comparisons and reports reuse."""

    filters: Filters
    period: Period
    metrics: dict[str, Metric]
    histograms: dict[str, Histogram] = field(default_factory=dict)
    cost: costs.CostResult | None = None
    refreshed_at: datetime | None = None

    def __getitem__(self, key: str) -> Metric:
        return self.metrics[key]

    def as_json(self) -> dict:
        """The command line's and the API's shape (docs/metrics.md)."""
        return {
            "period": {
                "from": self.filters.first_day.isoformat(),
                "to": self.filters.last_day.isoformat(),
            },
            "metrics": {key: self.metrics[key].as_dict() for key in catalogue.KEYS},
        }


# --- the population -----------------------------------------------------------------------------


def population(filters: Filters) -> Q:
    """The filters other than the period, as a condition on EncounterFact."""
    q = Q()
    if filters.program_ids:
        q &= Q(program_id__in=filters.program_ids)
    if filters.team_id:
        q &= Q(team_id=filters.team_id)
    if filters.agency_id:
        q &= Q(agency_id=filters.agency_id)
    if filters.source:
        q &= Q(source=filters.source)
    if filters.district:
        q &= Q(district=filters.district)
    for name in ("race_ethnicity", "sex", "age_band"):
        value = getattr(filters, name)
        if value == NOT_RECORDED:
            q &= Q(**{name: ""})
        elif value:
            q &= Q(**{name: value})
    return q


def in_period(period: Period) -> Q:
    return Q(ref_at__gte=period.start, ref_at__lt=period.end)


def encounter_facts(filters: Filters, period: Period | None = None) -> QuerySet[EncounterFact]:
    """The crisis encounters of the question, as facts."""
    period = period or filters.period
    return EncounterFact.objects.filter(in_period(period) & population(filters))


def whole_days(period: Period) -> bool:
    """The period runs from a local midnight to a local midnight (what Period.of_dates makes)."""
    return period.start == local_midnight(period.first_day) and period.end == local_midnight(
        period.last_day + timedelta(days=1)
    )


def rolled_up(filters: Filters, period: Period) -> QuerySet[FactDay] | None:
    """The FactDay rows of the question, when they answer it: whole days, and no filter that
    only a person record decides (those need the facts themselves). None otherwise."""
    if filters.person_filtered or not whole_days(period):
        return None
    return by_day(FactDay.objects.all(), filters, period)


def by_day(days: QuerySet, filters: Filters, period: Period) -> QuerySet:
    """Rows of a per-day table (FactDay, CallDay) of the period's local days and the filters
    such a table knows: program, team, call source, district."""
    days = days.filter(day__gte=period.first_day, day__lte=period.last_day)
    if filters.program_ids:
        days = days.filter(program_id__in=filters.program_ids)
    if filters.team_id:
        days = days.filter(team_id=filters.team_id)
    if filters.source:
        days = days.filter(source=filters.source)
    if filters.district:
        days = days.filter(district=filters.district)
    return days


def outcome_totals(filters: Filters, period: Period) -> dict[str, int]:
    """facts.outcome_counts over the question's crisis encounters: summed from FactDay when it
    answers the question (`rolled_up`), else counted over the facts."""
    days = rolled_up(filters, period)
    if days is not None:
        got = days.aggregate(**{name: Sum(name) for name in facts.outcome_counts()})
        return {name: value or 0 for name, value in got.items()}
    return encounter_facts(filters, period).aggregate(**facts.outcome_counts())


def _calls(filters: Filters, period: Period) -> tuple[int, int]:
    """(calls received, calls eligible)."""
    if filters.person_filtered:
        # Only a person record says who a call was about: the calls of matching encounters.
        got = (
            encounter_facts(filters, period)
            .exclude(call_id=None)
            .aggregate(
                calls=Count("call_id", distinct=True),
                eligible=Count("call_id", distinct=True, filter=Q(call_eligible=True)),
            )
        )
        return got["calls"], got["eligible"]
    days = by_day(CallDay.objects.all(), filters, period)
    got = days.aggregate(n=Sum("calls"), n_eligible=Sum("calls", filter=Q(eligible=True)))
    return got["n"] or 0, got["n_eligible"] or 0


def _histogram(rows: QuerySet, column: str) -> Histogram:
    bins = (
        rows.exclude(**{column: None})
        .values(column)
        .annotate(n=Count("pk"))
        .order_by(column)
        .values_list(column, "n")
    )
    return Histogram(tuple(bins))


# --- people: persons served, frequent clients, repeat crises ------------------------------------


@dataclass
class People:
    served: int = 0
    repeats: int = 0  # crisis encounters followed by one of the same human within 30 days
    frequent: int = 0
    frequent_enrolled: int = 0


def linked_records() -> Q:
    """Facts whose person record is in an identity link nobody rejected (possibly one of
    several records of a human, merged in Python by `humans`); every other record is a human
    on its own, counted by the database. As of the facts' rebuild: a new link is a new row,
    which makes the next question rebuild them."""
    return Q(person_linked=True)


def _people(filters: Filters, period: Period, db_repeats: int) -> People:
    """Persons served, frequent clients (and those enrolled) and repeat crises, by human.

    Records in no identity link are counted by the database; only linked records come to
    Python, where `humans` says which are one human and their counts are merged.
    """
    window_start = min(period.start, period.end - FREQUENT_CLIENT_WINDOW)
    year_start = period.end - FREQUENT_CLIENT_WINDOW
    scope = (
        EncounterFact.objects.filter(population(filters))
        .filter(ref_at__gte=window_start, ref_at__lt=period.end)
        .exclude(person_id=None)
    )
    linked = linked_records()
    single = scope.exclude(linked)
    people = People(repeats=db_repeats)

    def per_person(rows):
        return (
            rows.values("person_id")
            .annotate(
                n_period=Count("pk", filter=Q(ref_at__gte=period.start)),
                n_window=Count("pk", filter=Q(ref_at__gte=year_start)),
                first_s=Min("ref_s", filter=Q(ref_at__gte=year_start)),
            )
            .order_by()
        )

    frequent_first: dict[int, int] = {}  # human -> first crisis in the 12 months (epoch s)
    members: dict[int, list[int]] = {}
    # One pass over the records in no link, grouped by record: how many were served in the
    # period (the row without a person id) and the frequent clients among them.
    grouped, params = (
        per_person(single)
        .values_list("person_id", "n_period", "n_window", "first_s")
        .query.sql_with_params()
    )
    # Each frequent client's latest enrollment start comes along (one index lookup each).
    q = connection.ops.quote_name
    enrollments = q(Enrollment._meta.db_table)
    latest_start: dict[int, object] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH g (person_id, n_period, n_window, first_s) AS ({grouped}) "
            "SELECT NULL, COUNT(*), NULL FROM g WHERE n_period > 0 UNION ALL "
            f"SELECT person_id, first_s, (SELECT MAX(e.{q('start_date')}) FROM {enrollments} e "
            f"WHERE e.{q('person_id')} = g.person_id) "
            "FROM g WHERE n_period > 0 AND n_window >= %s",
            (*params, FREQUENT_CLIENT_MIN_ENCOUNTERS),
        )
        for pid, value, latest in cursor.fetchall():
            if pid is None:
                people.served += value
            else:
                frequent_first[pid] = value
                members[pid] = [pid]
                if isinstance(latest, str):  # SQLite returns dates as text
                    latest = date.fromisoformat(latest)
                latest_start[pid] = latest

    rows = {
        pid: (n_period, n_window, first_s)
        for pid, n_period, n_window, first_s in per_person(scope.filter(linked)).values_list(
            "person_id", "n_period", "n_window", "first_s"
        )
    }
    clusters: dict[int, list[int]] = defaultdict(list)
    for pid, human in humans(rows).items():
        clusters[human].append(pid)
    linked_in_period = []
    for human, pids in clusters.items():
        n_period = sum(rows[p][0] for p in pids)
        if not n_period:
            continue
        people.served += 1
        if len(pids) > 1:
            linked_in_period.append(pids)
        if sum(rows[p][1] for p in pids) >= FREQUENT_CLIENT_MIN_ENCOUNTERS:
            frequent_first[human] = min(rows[p][2] for p in pids if rows[p][2] is not None)
            members[human] = pids
    if linked_in_period:
        people.repeats += _linked_repeats(filters, period, linked_in_period)
    people.frequent = len(frequent_first)
    if frequent_first:
        people.frequent_enrolled = _enrolled(frequent_first, members, latest_start)
    return people


def _linked_repeats(filters: Filters, period: Period, clusters: list[list[int]]) -> int:
    """The repeat count of humans with several records, as one human, minus what the database
    counted record by record (next_gap_s sees one record's encounters only)."""
    ids = [pid for pids in clusters for pid in pids]
    times: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    target = in_period(period) & population(filters)
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        rows = (
            EncounterFact.objects.filter(person_id__in=batch)
            .filter(ref_at__gte=period.start, ref_at__lt=period.end + REPEAT_WINDOW)
            .annotate(
                counted=Case(When(target, then=True), default=False, output_field=BooleanField())
            )
            .values_list("person_id", "ref_s", "counted", "next_gap_s")
        )
        for pid, ref_s, counted, gap in rows:
            times[pid].append((ref_s, bool(counted), gap))
    window = REPEAT_WINDOW.total_seconds()
    correction = 0
    for pids in clusters:
        merged = sorted((ref_s, counted) for p in pids for ref_s, counted, _ in times[p])
        for i, (ref_s, counted) in enumerate(merged):
            if counted and i + 1 < len(merged) and merged[i + 1][0] - ref_s <= window:
                correction += 1
        for p in pids:  # take out what the database counted per record
            correction -= sum(
                1 for _, counted, gap in times[p] if counted and gap is not None and gap <= window
            )
    return correction


def _enrolled(
    frequent_first: dict[int, int], members: dict[int, list[int]], known: dict[int, object]
) -> int:
    """Frequent clients with an enrollment (of any of their records) starting on or after the
    local date of their first crisis encounter in the window. `known`: the latest enrollment
    start (or None) of records already looked up; the others are read here."""
    ids = [pid for human in frequent_first for pid in members[human] if pid not in known]
    latest: dict[int, object] = {p: d for p, d in known.items() if d is not None}
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        latest.update(
            Enrollment.objects.filter(person_id__in=batch)
            .values("person_id")
            .annotate(latest=Max("start_date"))
            .order_by()
            .values_list("person_id", "latest")
        )
    enrolled = 0
    zone = timezone.get_default_timezone()
    for human, first_s in frequent_first.items():
        first_day = datetime.fromtimestamp(first_s, zone).date()
        if any(latest.get(p) and latest[p] >= first_day for p in members[human]):
            enrolled += 1
    return enrolled


# --- the engine ---------------------------------------------------------------------------------


def evaluate(filters: Filters, period: Period | None = None, *, fresh: str = "auto") -> Evaluation:
    """Every catalogue metric for the filters (over `period`, by default the filters' dates).

    `fresh`: "auto" rebuilds the fact tables first if records were added since they were built
    (in the worker when a rebuild takes long: facts.ensure_fresh); "wait" always waits for that
    rebuild; "force" rebuilds whatever; "no" counts the facts as they are.
    """
    period = period or filters.period
    if fresh == "force":
        refreshed = facts.refresh()
    elif fresh == "wait":
        refreshed = facts.ensure_fresh(wait_seconds=float("inf"))
    elif fresh == "auto":
        refreshed = facts.ensure_fresh()
    else:
        refreshed = facts.last_refresh()
    rows = encounter_facts(filters, period)
    with analytic_queries():
        c = outcome_totals(filters, period)
        total = c["total"]
        response = _histogram(rows, "response_s")
        on_scene = _histogram(rows, "on_scene_s")
        people = _people(filters, period, c["repeats"])
        calls, eligible_calls = _calls(filters, period)
    saved_hours = (c["saved_s"] or 0) / 3600

    m: dict[str, Metric] = {
        "calls_received": count(calls),
        "calls_eligible": count(eligible_calls),
        "responses": count(total),
        "persons_served": count(people.served),
        "response_time_median_min": Metric(_minutes(response.median()), None, response.n),
        "response_time_p90_min": Metric(_minutes(response.percentile(0.9)), None, response.n),
        "time_on_scene_median_min": Metric(_minutes(on_scene.median()), None, on_scene.n),
        "arrest_avoided_rate": rate(c["no_arrest"], total),
        "arrests": count(c["arrests"]),
        "resolved_on_scene_rate": rate(c["resolved"], total),
        "service_rate": rate(c["served"], total),
        "er_transport_rate": rate(c["er"], total),
        "involuntary_hold_rate": rate(c["holds"], total),
        "hospital_diversion_rate": rate(c["no_hospital"], total),
        "no_er_no_jail_rate": rate(c["no_er_no_jail"], total),
        "diversion_rate": rate(c["diverted"], c["eligible"]),
        "use_of_force_rate": rate(c["force"], total),
        "officer_early_return_rate": rate(c["early"], total),
        "officer_hours_saved": Metric(saved_hours, None, c["early"]),
        "followup_connection_rate": rate(c["fu_connected"] or 0, c["fu_completed"] or 0),
        "referral_completion_rate": rate(c["ref_completed"] or 0, c["ref_sent"] or 0),
        "frequent_client_enrollment_rate": rate(people.frequent_enrolled, people.frequent),
        "repeat_crisis_30d_rate": rate(people.repeats, total),
    }
    cost = costs.evaluate(
        filters,
        period,
        responses=total,
        eligible_without_arrest=c["eligible_no_arrest"],
        er_transports=c["er"],
        holds=c["holds"],
        officer_hours_saved=saved_hours,
        persons_served=people.served,
    )
    m.update(cost.metrics())
    return Evaluation(
        filters=filters,
        period=period,
        metrics=m,
        histograms={"response_s": response, "on_scene_s": on_scene},
        cost=cost,
        refreshed_at=refreshed.finished_at if refreshed else None,
    )


def cached_evaluate(filters: Filters, period: Period | None = None, *, persist: bool = False):
    """`evaluate`, remembered until the facts are next rebuilt (insights.memo)."""
    from coresponse.insights.memo import remember

    facts.ensure_fresh()
    period = period or filters.period
    question = ("evaluation", sorted(filters.query().items()), filters.program_ids, period)
    return remember(question, lambda: evaluate(filters, period, fresh="no"), persist=persist)


def compute(period: Period, program_id: int | None = None) -> dict[str, Metric]:
    """Every catalogue metric over `period` (whole local days), for one program or all."""
    filters = Filters(
        period.first_day, period.last_day, program_ids=(program_id,) if program_id else ()
    )
    return evaluate(filters, period).metrics
