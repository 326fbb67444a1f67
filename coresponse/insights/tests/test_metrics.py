"""The engine against values worked out by hand (tests/data.py), through the command line's JSON:
every catalogue key, the filters, the period's local-date edges, null on empty denominators."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresponse.insights import catalogue, facts
from coresponse.insights.filters import Filters, Period
from coresponse.insights.metrics import Histogram, compute, evaluate, percentile
from coresponse.insights.tests import data as testdata
from coresponse.people.models import IdentityLink


@pytest.fixture
def d(db):
    return testdata.build()


def metrics_json(*args) -> dict:
    out = StringIO()
    call_command("metrics", *args, stdout=out)
    return json.loads(out.getvalue())


def march(**filters) -> Filters:
    return Filters(testdata.FIRST, testdata.LAST, **filters)


def test_json_matches_the_hand_computed_values(d):
    got = metrics_json("--from", "2025-03-01", "--to", "2025-03-31", "--format", "json")
    assert got["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert list(got["metrics"]) == list(catalogue.KEYS)  # every key, in catalogue order
    for key, (value, numerator, denominator) in testdata.EXPECTED.items():
        m = got["metrics"][key]
        assert m["value"] == pytest.approx(value), key
        assert m["numerator"] == (pytest.approx(numerator) if numerator is not None else None), key
        assert m["denominator"] == denominator, key


def test_every_catalogue_key_is_worked_out_in_the_test_data():
    assert set(testdata.EXPECTED) == set(catalogue.KEYS)


def test_rates_are_null_not_zero_on_an_empty_period(d):
    got = metrics_json("--from", "2024-01-01", "--to", "2024-01-31")["metrics"]
    assert got["responses"] == {"value": 0, "numerator": 0, "denominator": None}
    for d_ in catalogue.CATALOGUE:
        if d_.is_rate:
            assert got[d_.key]["value"] is None, d_.key
    assert got["response_time_median_min"]["value"] is None
    assert got["persons_served"]["value"] == 0


def test_period_is_inclusive_local_dates(d):
    # c5 at 23:30 on March 31 (05:30 UTC on April 1) is in; c7 ten minutes into April 1 is out;
    # c8 ten minutes before March 1 is out.
    last_day = evaluate(Filters(testdata.LAST, testdata.LAST)).metrics
    assert last_day["responses"].value == 1 and last_day["calls_received"].value == 1
    first_day = evaluate(Filters(testdata.FIRST, testdata.FIRST)).metrics
    assert first_day["responses"].value == 1 and first_day["calls_received"].value == 1


@pytest.mark.parametrize(
    "filters, responses, calls",
    [
        ({"program": "t-p1"}, 3, 4),  # by external id
        ({"source": "911"}, 3, 3),
        ({"district": "South"}, 2, 2),
        ({"race_ethnicity": "black"}, 2, 2),  # Ann's two records; calls of their encounters
        ({"sex": "not_recorded"}, 1, 1),
        ({"age_band": "0-17"}, 2, 2),  # Bob, 15
    ],
)
def test_filters(d, filters, responses, calls):
    f = Filters.parse({"from": "2025-03-01", "to": "2025-03-31", **filters})
    m = evaluate(f).metrics
    assert (m["responses"].value, m["calls_received"].value) == (responses, calls)


def test_program_team_and_agency_filters_by_id(d):
    base = {"from": "2025-03-01", "to": "2025-03-31"}
    p1 = evaluate(Filters.parse({**base, "program": str(d.programs["p1"].pk)})).metrics
    assert p1["responses"].value == 3 and p1["arrests"].value == 1
    team2 = evaluate(Filters.parse({**base, "team": str(d.teams["t2"].pk)})).metrics
    assert (team2["responses"].value, team2["calls_received"].value) == (2, 2)
    pd = evaluate(Filters.parse({**base, "agency": str(d.agencies["pd"].pk)})).metrics
    assert pd["responses"].value == 2  # Ann's PD record (e2) and Cy (e5)
    assert pd["persons_served"].value == 2


def test_linked_records_count_once_and_a_rejected_link_splits_them(d):
    assert evaluate(march()).metrics["persons_served"].value == 3
    IdentityLink.objects.update(status="rejected", decided_at=timezone.now())
    m = evaluate(march()).metrics
    assert m["persons_served"].value == 4
    # Without the link, e1 -> e2 is no longer one person's repeat, and Ann has 2 encounters
    # on her BHC record (not a frequent client): nobody is.
    assert m["repeat_crisis_30d_rate"].numerator == 2
    assert m["frequent_client_enrollment_rate"].denominator == 0
    assert m["frequent_client_enrollment_rate"].value is None


@pytest.mark.parametrize("starts, enrolled", [((2025, 1, 20), 2), ((2025, 1, 2), 1)])
def test_a_frequent_client_on_one_record_and_their_enrollment(d, starts, enrolled):
    """Bob (one record, in no link) with a third crisis in January is a frequent client; his
    enrollment counts when it starts on or after the day of his first crisis (January 10)."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from coresponse.care.models import Enrollment
    from coresponse.field.models import Encounter

    january = datetime(2025, 1, 10, 9, 0, tzinfo=ZoneInfo("America/Denver"))
    Encounter.objects.create(
        external_id="t-jan",
        program=d.programs["p1"],
        kind="crisis",
        person=d.persons["bob"],
        dispatched_at=january,
        on_scene_at=january,
    )
    Enrollment.objects.create(
        external_id="t-bob",
        person=d.persons["bob"],
        provider="Clinic",
        service_type="outpatient_mental_health",
        start_date=date(*starts),
    )
    m = evaluate(march()).metrics["frequent_client_enrollment_rate"]
    assert (m.numerator, m.denominator) == (enrolled, 2)


def test_new_records_are_counted_without_waiting_for_the_worker(d):
    assert evaluate(march()).metrics["responses"].value == 5
    call = d.calls["c6"]
    from coresponse.field.models import Encounter

    Encounter.objects.create(
        external_id="t-new",
        call=call,
        program=d.programs["p1"],
        kind="crisis",
        on_scene_at=call.received_at,
    )
    assert evaluate(march()).metrics["responses"].value == 6


def test_an_edit_is_counted_after_a_rebuild(d):
    evaluate(march())
    d.encounters["e1"].__class__.objects.filter(pk=d.encounters["e1"].pk).update(arrest=True)
    assert evaluate(march(), fresh="no").metrics["arrests"].value == 1  # the facts as they were
    facts.refresh()
    assert evaluate(march()).metrics["arrests"].value == 2


@pytest.mark.parametrize("params", [{}, {"program": "t-p1"}, {"district": "South"}])
def test_the_day_rollup_and_the_facts_give_the_same_answers(d, params, monkeypatch):
    from coresponse.insights import analysis, metrics

    f = Filters.parse({"from": "2025-02-01", "to": "2025-04-30", **params})
    assert metrics.rolled_up(f, f.period) is not None  # whole days, no person filter
    assert metrics.rolled_up(Filters.parse({**f.query(), "sex": "female"}), f.period) is None
    # A period that does not start at local midnight is counted over the facts.
    shifted = Period(f.period.start + timedelta(minutes=1), f.period.end)
    assert metrics.rolled_up(f, shifted) is None
    summed = metrics.evaluate(f).as_json()
    trends = {key: analysis.monthly(f, key) for key in analysis.TREND_RATES}
    volume = analysis.monthly_counts(f)
    monkeypatch.setattr(metrics, "rolled_up", lambda filters, period: None)
    monkeypatch.setattr(analysis, "rolled_up", lambda filters, period: None)
    assert metrics.evaluate(f).as_json() == summed
    assert {key: analysis.monthly(f, key) for key in analysis.TREND_RATES} == trends
    assert analysis.monthly_counts(f) == volume
    assert summed["metrics"]["responses"]["value"] > 0


def test_compute_keeps_the_period_api(d):
    period = Period.of_dates(testdata.FIRST, testdata.LAST)
    m = compute(period, d.programs["p2"].pk)
    assert m["responses"].value == 2 and m["er_transport_rate"].value == 0.5


def test_csv_and_table_formats(d):
    out = StringIO()
    call_command(
        "metrics", "--from", "2025-03-01", "--to", "2025-03-31", "--format", "csv", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "key,value,numerator,denominator"
    assert "arrest_avoided_rate,0.8,4,5" in lines
    assert len(lines) == 1 + len(catalogue.KEYS)
    out = StringIO()
    call_command(
        "metrics", "--from", "2025-03-01", "--to", "2025-03-31", "--format", "table", stdout=out
    )
    assert "diversion_rate" in out.getvalue() and "0.5000" in out.getvalue()


def test_bad_filters_are_named(d):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--from: 'March' is not a date"):
        call_command("metrics", "--from", "March", "--to", "2025-03-31")
    with pytest.raises(CommandError, match="--program: no program 'nope'"):
        call_command("metrics", "--program", "nope")
    with pytest.raises(CommandError, match="starts .* after it ends"):
        call_command("metrics", "--from", "2025-04-01", "--to", "2025-03-01")


def test_percentiles():
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    h = Histogram(((60, 2), (120, 1), (600, 1)))
    assert h.median() == 90  # (60 + 120) / 2
    assert h.percentile(0.9) == 600
    assert Histogram(()).median() is None


def test_every_key_is_defined_in_the_docs():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "metrics.md").read_text()
    for key in catalogue.KEYS:
        assert f"| `{key}` |" in text, f"docs/metrics.md does not define {key}"
