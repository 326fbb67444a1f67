"""Comparisons, trends, the equity view and small-number suppression on the hand-made data."""

from datetime import date

import pytest

from coresponse.insights import analysis
from coresponse.insights.filters import Filters
from coresponse.insights.metrics import evaluate
from coresponse.insights.tests import data as testdata


@pytest.fixture
def d(db):
    return testdata.build()


def march(**kw):
    return Filters(testdata.FIRST, testdata.LAST, **kw)


def test_equity_counts_people_once_and_intervals(d):
    race = analysis.breakdown(march(), "race_ethnicity")
    groups = {g.value: g for g in race.groups}
    assert set(groups) == {"black", "white", ""}
    black = groups["black"]
    assert (black.encounters, black.people) == (2, 1)  # Ann's two records: one person
    assert black.cells["arrest"].count == 0 and black.cells["service"].count == 1
    white = groups["white"]
    assert white.cells["arrest"].count == 1 and white.cells["arrest"].rate == 0.5
    assert white.cells["arrest"].ci.low < 0.5 < white.cells["arrest"].ci.high
    assert groups[""].label == "Not recorded"
    ages = [g.value for g in analysis.breakdown(march(), "age_band").groups]
    assert ages == ["0-17", "25-34", ""]  # Bob is 15, Ann 34


def test_suppression_hides_small_cells_and_their_complement(d):
    table = analysis.suppress(analysis.breakdown(march(), "race_ethnicity"))
    assert all(g.suppressed for g in table.groups)  # every group has fewer than 11 people
    assert all(c.suppressed for g in table.groups for c in g.cells.values())


def test_complementary_suppression():
    def cell(count, people):
        return analysis.Cell("arrest", count, people, None, None)

    groups = []
    for value, people, arrests in (("a", 40, 12), ("b", 50, 3), ("c", 60, 20)):
        g = analysis.Group(value, value, people, people)
        g.cells = {key: cell(0, 0) for key, *_ in analysis.OUTCOMES}
        g.cells["arrest"] = cell(arrests, arrests)
        groups.append(g)
    table = analysis.suppress(analysis.Breakdown("x", "x", groups))
    hidden = {g.value for g in table.groups if g.cells["arrest"].suppressed}
    # b has 3 people arrested; hiding it alone would let it be worked out from the total, so
    # the next smallest (a, 12) goes too.
    assert hidden == {"b", "a"}
    assert not any(g.suppressed for g in table.groups)


def test_comparison_with_a_baseline_period(d):
    now = evaluate(march())
    before = evaluate(
        Filters(testdata.FIRST.replace(month=2), testdata.FIRST.replace(month=2, day=28))
    )
    changes = analysis.compare(now, before)
    responses = changes["responses"]
    assert (responses.current.value, responses.baseline.value) == (5, 1)
    assert responses.relative == pytest.approx(4.0)
    force = changes["use_of_force_rate"]
    assert force.difference == pytest.approx(0.2)  # 1/5 now, 0/1 before
    assert force.difference_ci is not None
    assert force.relative is None  # no baseline rate to divide by
    assert changes["response_time_median_min"].difference == pytest.approx(20 - 15)


def test_baseline_periods():
    # Whole calendar months: the months just before (March -> February, a quarter -> the
    # quarter before); other dates: as many days just before.
    f = Filters(testdata.FIRST, testdata.LAST)
    assert analysis.baseline_period(f, "previous") == (
        testdata.FIRST.replace(month=2, day=1),
        testdata.FIRST.replace(month=2, day=28),
    )
    q3 = Filters(date(2026, 7, 1), date(2026, 9, 30))
    assert analysis.baseline_period(q3, "previous") == (date(2026, 4, 1), date(2026, 6, 30))
    q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
    assert analysis.baseline_period(q1, "previous") == (date(2025, 10, 1), date(2025, 12, 31))
    days = Filters(date(2026, 3, 2), date(2026, 3, 31))
    assert analysis.baseline_period(days, "previous") == (date(2026, 1, 31), date(2026, 3, 1))
    assert analysis.baseline_period(f, "last_year") == (
        testdata.FIRST.replace(year=2024),
        testdata.LAST.replace(year=2024),
    )
    assert analysis.baseline_period(f, "none") is None


def test_monthly_trend_with_intervals(d):
    f = Filters(testdata.FIRST.replace(month=2), testdata.LAST.replace(month=4, day=30))
    months = analysis.monthly(f, "arrest_avoided_rate")
    assert [m["denominator"] for m in months] == [1, 5, 1]
    assert [m["numerator"] for m in months] == [1, 4, 1]
    assert months[1]["low"] < 0.8 < months[1]["high"]
    assert [n for _, n in analysis.monthly_counts(f)] == [1, 5, 1]
