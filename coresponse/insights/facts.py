"""Building the fact tables the engine reads (insights.models): set-based, in the database.

    refresh()          # rebuild both tables in one transaction; returns the FactRefresh row
    ensure_fresh()     # rebuild if records were added since the last rebuild

Each rebuild is `INSERT INTO ... SELECT` compiled from the ORM (the same query on SQLite and
PostgreSQL) plus one window-function UPDATE for each person's gap to their next crisis; no row
passes through Python. Facts are derived data: they lag edits of existing records until the next
rebuild (the worker's periodic job, every REFRESH_MINUTES), and new records until the engine next
asks (`ensure_fresh`, which compares the newest id of every source table with the last rebuild's).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from coresponse.agencies.models import Program
from coresponse.care.models import FollowUp, FollowUpOutcome, Referral, ReferralStatus
from coresponse.dispatch.models import Assignment, Call, Recommendation, TriageResult
from coresponse.field.models import Disposition, Encounter, EncounterKind
from coresponse.insights.filters import AGE_BANDS
from coresponse.insights.models import CallDay, EncounterFact, FactDay, FactRefresh
from coresponse.insights.sql import AgeInYears, SecondsBetween
from coresponse.people.models import IdentityLink, LinkStatus, Person

REFRESH_MINUTES = 10
SYNC_REFRESH_SECONDS = 3.0  # a rebuild that took longer runs in the worker, not in a request
QUEUED_KEY = "insights:facts-refresh-queued"
ELIGIBLE = (Recommendation.CO_RESPONDER, Recommendation.CIVILIAN_TEAM)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REPEAT_WINDOW = timedelta(days=30)
SOURCES = (
    Call,
    Encounter,
    TriageResult,
    Referral,
    FollowUp,
    Assignment,
    Person,
    Program,
    IdentityLink,
)

FACT_COLUMNS = (
    "encounter_id",
    "ref_at",
    "ref_s",
    "ref_month",
    "program_id",
    "call_id",
    "team_id",
    "call_eligible",
    "source",
    "district",
    "person_id",
    "agency_id",
    "person_linked",
    "race_ethnicity",
    "sex",
    "age_band",
    "arrest",
    "jail_booking",
    "er_transport",
    "hospital_admission",
    "involuntary_hold",
    "use_of_force",
    "arrest_eligible",
    "resolved_on_scene",
    "service",
    "referred",
    "officer_early",
    "response_s",
    "on_scene_s",
    "officer_saved_s",
    "referrals_sent",
    "referrals_completed",
    "followups_completed",
    "followups_connected",
)
CALL_DAY_COLUMNS = ("day", "program_id", "source", "district", "team_id", "eligible", "calls")
FACT_DAY_KEYS = ("day", "month", "program_id", "team_id", "source", "district")


def outcome_counts() -> dict:
    """The counts (and sums) of crisis encounter facts the engine's rates are made of: one
    aggregate each, by name. The engine takes them over the facts of a question, or sums the
    same names over FactDay, which holds them per day (see `fact_day_rows`)."""
    window = int(REPEAT_WINDOW.total_seconds())
    return {
        "total": Count("pk"),
        "no_arrest": Count("pk", filter=Q(arrest=False)),
        "arrests": Count("pk", filter=Q(arrest=True)),
        "resolved": Count("pk", filter=Q(resolved_on_scene=True)),
        "served": Count("pk", filter=Q(service=True)),
        "er": Count("pk", filter=Q(er_transport=True)),
        "holds": Count("pk", filter=Q(involuntary_hold=True)),
        "admissions": Count("pk", filter=Q(hospital_admission=True)),
        "bookings": Count("pk", filter=Q(jail_booking=True)),
        "no_hospital": Count("pk", filter=Q(er_transport=False, hospital_admission=False)),
        "no_er_no_jail": Count("pk", filter=Q(er_transport=False, jail_booking=False)),
        "force": Count("pk", filter=Q(use_of_force=True)),
        "early": Count("pk", filter=Q(officer_early=True)),
        "saved_s": Coalesce(Sum("officer_saved_s"), 0),
        "eligible": Count("pk", filter=Q(arrest_eligible=True)),
        "diverted": Count("pk", filter=Q(arrest_eligible=True, arrest=False, referred=True)),
        "eligible_no_arrest": Count("pk", filter=Q(arrest_eligible=True, arrest=False)),
        "repeats": Count("pk", filter=Q(next_gap_s__lte=window)),
        "fu_completed": Coalesce(Sum("followups_completed"), 0),
        "fu_connected": Coalesce(Sum("followups_connected"), 0),
        "ref_sent": Coalesce(Sum("referrals_sent"), 0),
        "ref_completed": Coalesce(Sum("referrals_completed"), 0),
    }


FACT_DAY_COLUMNS = (*FACT_DAY_KEYS, *outcome_counts())


def fingerprint() -> dict[str, int]:
    """The newest id of every table the facts are built from: a change means new records."""
    out = {}
    for model in SOURCES:
        out[model._meta.label_lower] = model.objects.aggregate(m=Max("pk"))["m"] or 0
    return out


def last_refresh() -> FactRefresh | None:
    return FactRefresh.objects.order_by("-finished_at", "-id").first()


def is_stale() -> bool:
    latest = last_refresh()
    return latest is None or latest.fingerprint != fingerprint()


def ensure_fresh(wait_seconds: float = SYNC_REFRESH_SECONDS) -> FactRefresh | None:
    """Make the facts count every record added since the last rebuild.

    A rebuild expected to take under `wait_seconds` (the last one did) runs now; a longer one
    is handed to the worker (at most one queued at a time) and the last rebuild is returned.
    """
    latest = last_refresh()
    if latest is not None and latest.fingerprint == fingerprint():
        return latest
    if latest is None or latest.seconds <= wait_seconds:
        return refresh()
    if cache.add(QUEUED_KEY, True, timeout=REFRESH_MINUTES * 60):
        from coresponse.insights.tasks import refresh_facts

        transaction.on_commit(refresh_facts.enqueue)
    return latest


def _count(model, **filters):
    rows = model.objects.filter(encounter_id=OuterRef("pk"), **filters).order_by()
    rows = rows.values("encounter_id")
    return Coalesce(
        Subquery(rows.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()),
        0,
    )


def _age_band() -> Case:
    """The band of the `age` annotation (completed years on the day)."""
    return Case(
        *(
            When(**{"age__gte": low, "age__lte": high}, then=Value(key))
            for key, _, low, high in AGE_BANDS
        ),
        default=Value(""),
        output_field=CharField(),
    )


def encounter_rows():
    """The SELECT of the encounter facts, in FACT_COLUMNS order."""
    reference = Coalesce("call__received_at", "dispatched_at", "on_scene_at")
    first_team = Assignment.objects.filter(call_id=OuterRef("call_id")).order_by(
        "dispatched_at", "id"
    )
    encounters = (
        Encounter.objects.filter(kind=EncounterKind.CRISIS)
        .order_by()
        .annotate(ref=reference)
        .filter(ref__isnull=False)
        .annotate(age=AgeInYears(F("ref"), F("person__dob")))
    )
    flag = {"output_field": BooleanField()}
    return encounters.annotate(
        f_ref_s=SecondsBetween(F("ref"), Value(EPOCH)),
        f_month=TruncMonth("ref", tzinfo=timezone.get_default_timezone(), output_field=DateField()),
        f_team=Subquery(first_team.values("team_id")[:1]),
        f_eligible=Exists(
            TriageResult.objects.filter(call_id=OuterRef("call_id"), recommendation__in=ELIGIBLE)
        ),
        f_source=Coalesce("call__source", Value(""), output_field=CharField()),
        f_district=Coalesce("call__district", Value(""), output_field=CharField()),
        f_agency=F("person__agency_id"),
        f_linked=Exists(
            IdentityLink.objects.exclude(status=LinkStatus.REJECTED).filter(
                Q(person_a_id=OuterRef("person_id")) | Q(person_b_id=OuterRef("person_id"))
            )
        ),
        f_race=Coalesce("person__race_ethnicity", Value(""), output_field=CharField()),
        f_sex=Coalesce("person__sex", Value(""), output_field=CharField()),
        f_band=_age_band(),
        f_resolved=Case(
            When(disposition=Disposition.RESOLVED_ON_SCENE, then=True), default=False, **flag
        ),
        f_service=Case(When(~Q(services=[]), then=True), default=False, **flag),
        f_referred=Exists(Referral.objects.filter(encounter_id=OuterRef("pk"))),
        f_early=Case(
            When(officer_cleared_at__lt=F("cleared_at"), then=True), default=False, **flag
        ),
        f_response=SecondsBetween(F("on_scene_at"), F("call__received_at")),
        f_on_scene=SecondsBetween(F("cleared_at"), F("on_scene_at")),
        f_saved=Case(
            When(
                officer_cleared_at__lt=F("cleared_at"),
                then=SecondsBetween(F("cleared_at"), F("officer_cleared_at")),
            ),
            default=None,
            output_field=IntegerField(),
        ),
        f_ref_sent=_count(Referral),
        f_ref_done=_count(Referral, status=ReferralStatus.COMPLETED),
        f_fu_done=_count(FollowUp, completed_at__isnull=False),
        f_fu_connected=_count(
            FollowUp, completed_at__isnull=False, outcome=FollowUpOutcome.CONNECTED
        ),
    ).values_list(
        "pk",
        "ref",
        "f_ref_s",
        "f_month",
        "program_id",
        "call_id",
        "f_team",
        "f_eligible",
        "f_source",
        "f_district",
        "person_id",
        "f_agency",
        "f_linked",
        "f_race",
        "f_sex",
        "f_band",
        "arrest",
        "jail_booking",
        "er_transport",
        "hospital_admission",
        "involuntary_hold",
        "use_of_force",
        "arrest_eligible",
        "f_resolved",
        "f_service",
        "f_referred",
        "f_early",
        "f_response",
        "f_on_scene",
        "f_saved",
        "f_ref_sent",
        "f_ref_done",
        "f_fu_done",
        "f_fu_connected",
    )


def call_day_rows():
    """The SELECT of the per-day call counts, in CALL_DAY_COLUMNS order."""
    first_team = Assignment.objects.filter(call_id=OuterRef("pk")).order_by("dispatched_at", "id")
    eligible = TriageResult.objects.filter(call_id=OuterRef("pk"), recommendation__in=ELIGIBLE)
    return (
        Call.objects.annotate(
            c_day=TruncDate("received_at", tzinfo=timezone.get_default_timezone()),
            c_team=Subquery(first_team.values("team_id")[:1]),
            c_eligible=Exists(eligible),
        )
        .values("c_day", "program_id", "source", "district", "c_team", "c_eligible")
        .annotate(c_calls=Count("id"))
        .order_by()
        .values_list("c_day", "program_id", "source", "district", "c_team", "c_eligible", "c_calls")
    )


def fact_day_rows():
    """The SELECT of FactDay from the encounter facts (after their gaps are set), in
    FACT_DAY_COLUMNS order."""
    counts = outcome_counts()
    return (
        EncounterFact.objects.annotate(
            day=TruncDate("ref_at", tzinfo=timezone.get_default_timezone()), month=F("ref_month")
        )
        .values(*FACT_DAY_KEYS)
        .annotate(**counts)
        .order_by()
        .values_list(*FACT_DAY_KEYS, *counts)
    )


def _insert(cursor, model, columns, rows) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql, params = rows.query.sql_with_params()
    cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)
    return cursor.rowcount


def refresh() -> FactRefresh:
    """Rebuild the fact tables from the records, all at once."""
    started = time.perf_counter()
    seen = fingerprint()  # before reading: a row added meanwhile makes the next ask rebuild
    q = connection.ops.quote_name
    facts = q(EncounterFact._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {facts}")
        cursor.execute(f"DELETE FROM {q(CallDay._meta.db_table)}")
        cursor.execute(f"DELETE FROM {q(FactDay._meta.db_table)}")
        encounters = _insert(cursor, EncounterFact, FACT_COLUMNS, encounter_rows())
        days = _insert(cursor, CallDay, CALL_DAY_COLUMNS, call_day_rows())
        # Each person record's next crisis encounter, by a window over the facts themselves.
        cursor.execute(
            f"UPDATE {facts} SET next_gap_s = gaps.gap FROM ("
            f"SELECT encounter_id AS id, LEAD(ref_s) OVER (PARTITION BY person_id "
            f"ORDER BY ref_s, encounter_id) - ref_s AS gap FROM {facts} "
            f"WHERE person_id IS NOT NULL) AS gaps "
            f"WHERE {facts}.encounter_id = gaps.id AND gaps.gap IS NOT NULL"
        )
        _insert(cursor, FactDay, FACT_DAY_COLUMNS, fact_day_rows())
        done = FactRefresh.objects.create(
            finished_at=timezone.now(),
            seconds=round(time.perf_counter() - started, 3),
            encounters=encounters,
            call_days=days,
            fingerprint=seen,
        )
        FactRefresh.objects.exclude(pk=done.pk).delete()
    cache.delete(QUEUED_KEY)
    if connection.vendor == "postgresql":  # fresh statistics for the planner
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {facts}")
            cursor.execute(f"ANALYZE {q(FactDay._meta.db_table)}")
    return done
