"""The metrics engine: each catalogue metric with its numerator and denominator.

Definitions live in docs/metrics.md; this module is their one implementation. The period filter
applies to the call's `received_at` (an encounter without a call, such as outreach, counts by
when the team was dispatched or arrived). Unless stated, the population is crisis encounters.
Rates are fractions between 0 and 1 and are None when the denominator is empty, never 0.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from coresponse.care.models import FollowUp, FollowUpOutcome, Referral, ReferralStatus
from coresponse.dispatch.models import Call
from coresponse.field.models import Disposition, Encounter, EncounterKind
from coresponse.people.identity import humans

FREQUENT_CLIENT_MIN_ENCOUNTERS = 3


@dataclass(frozen=True)
class Metric:
    value: float | None
    numerator: float | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive


def rate(numerator: int, denominator: int) -> Metric:
    return Metric(numerator / denominator if denominator else None, numerator, denominator)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the data at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(len(ordered) * q, 9)))  # round: 100 * 0.07 is 7.000000000000001
    return ordered[rank - 1]


def calls_in(period: Period, program_id: int | None = None) -> QuerySet:
    calls = Call.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    return calls.filter(program_id=program_id) if program_id else calls


def crisis_encounters(period: Period, program_id: int | None = None) -> QuerySet:
    encounters = Encounter.objects.annotate(
        reference_at=Coalesce("call__received_at", "dispatched_at", "on_scene_at")
    ).filter(kind=EncounterKind.CRISIS, reference_at__gte=period.start, reference_at__lt=period.end)
    return encounters.filter(program_id=program_id) if program_id else encounters


def _minutes(pairs) -> list[float]:
    return [(end - start).total_seconds() / 60 for start, end in pairs if start and end]


def _people_count(person_ids: set[int]) -> int:
    """Distinct humans: records tied by a link that no person rejected count once."""
    return len(set(humans(person_ids).values()))


def compute(period: Period, program_id: int | None = None) -> dict[str, Metric]:
    encounters = crisis_encounters(period, program_id)
    # Exists, not a join: a join to referrals would count an encounter once per referral.
    referred = Exists(Referral.objects.filter(encounter=OuterRef("pk")))
    counts = encounters.annotate(referred=referred).aggregate(
        total=Count("id"),
        arrests=Count("id", filter=Q(arrest=True)),
        resolved=Count("id", filter=Q(disposition=Disposition.RESOLVED_ON_SCENE)),
        served=Count("id", filter=~Q(services=[])),
        er=Count("id", filter=Q(er_transport=True)),
        holds=Count("id", filter=Q(involuntary_hold=True)),
        no_hospital=Count("id", filter=Q(er_transport=False, hospital_admission=False)),
        no_er_no_jail=Count("id", filter=Q(er_transport=False, jail_booking=False)),
        force=Count("id", filter=Q(use_of_force=True)),
        early=Count("id", filter=Q(officer_cleared_at__lt=F("cleared_at"))),
        eligible=Count("id", filter=Q(arrest_eligible=True)),
        diverted=Count("id", filter=Q(arrest_eligible=True, arrest=False, referred=True)),
    )
    total = counts["total"]
    response = _minutes(encounters.values_list("call__received_at", "on_scene_at").iterator())
    on_scene = _minutes(encounters.values_list("on_scene_at", "cleared_at").iterator())
    saved = _minutes(
        encounters.filter(officer_cleared_at__lt=F("cleared_at"))
        .values_list("officer_cleared_at", "cleared_at")
        .iterator()
    )
    visits = list(encounters.exclude(person=None).values_list("person_id", "reference_at"))
    followups = FollowUp.objects.filter(encounter__in=encounters.values("id"))
    completed_followups = followups.exclude(completed_at=None)
    referrals = Referral.objects.filter(encounter__in=encounters.values("id"))
    return {
        "calls_received": Metric(calls_in(period, program_id).count()),
        "responses": Metric(total),
        "persons_served": Metric(_people_count({pid for pid, _ in visits})),
        "response_time_median_min": Metric(median(response) if response else None),
        "response_time_p90_min": Metric(percentile(response, 0.9)),
        "time_on_scene_median_min": Metric(median(on_scene) if on_scene else None),
        "arrest_avoided_rate": rate(total - counts["arrests"], total),
        "arrests": Metric(counts["arrests"]),
        "resolved_on_scene_rate": rate(counts["resolved"], total),
        "service_rate": rate(counts["served"], total),
        "er_transport_rate": rate(counts["er"], total),
        "involuntary_hold_rate": rate(counts["holds"], total),
        "hospital_diversion_rate": rate(counts["no_hospital"], total),
        "no_er_no_jail_rate": rate(counts["no_er_no_jail"], total),
        "diversion_rate": rate(counts["diverted"], counts["eligible"]),
        "use_of_force_rate": rate(counts["force"], total),
        "officer_early_return_rate": rate(counts["early"], total),
        "officer_hours_saved": Metric(sum(saved) / 60),
        "followup_connection_rate": rate(
            completed_followups.filter(outcome=FollowUpOutcome.CONNECTED).count(),
            completed_followups.count(),
        ),
        "referral_completion_rate": rate(
            referrals.filter(status=ReferralStatus.COMPLETED).count(), referrals.count()
        ),
        "repeat_crisis_30d_rate": rate(_repeats_within(visits, timedelta(days=30)), total),
    }


def _repeats_within(visits, window: timedelta) -> int:
    """Encounters followed by another crisis encounter of the same person within `window`."""
    by_person = defaultdict(list)
    for person_id, at in visits:
        by_person[person_id].append(at)
    repeats = 0
    for times in by_person.values():
        times.sort()
        repeats += sum(1 for a, b in zip(times, times[1:], strict=False) if b - a <= window)
    return repeats
