"""Intervals against published values (Newcombe 1998, Statistics in Medicine 17:857-872)."""

import pytest

from coresponse.insights import stats


@pytest.mark.parametrize(
    "x, n, low, high",
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe's Table I, method 3 (Wilson score)
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson(x, n, low, high):
    ci = stats.wilson(x, n)
    assert (round(ci.low, 4), round(ci.high, 4)) == (low, high)


def test_wilson_of_nothing_is_none():
    assert stats.wilson(0, 0) is None


@pytest.mark.parametrize(
    "x1, n1, x2, n2, low, high",
    [
        (56, 70, 48, 80, 0.0524, 0.3339),  # Newcombe's Table II, method 10
        (9, 10, 3, 10, 0.1705, 0.8090),
    ],
)
def test_newcombe_difference(x1, n1, x2, n2, low, high):
    d, ci = stats.newcombe_difference(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(ci.low, 4), round(ci.high, 4)) == (low, high)


def test_relative_change_log_interval():
    change, ci = stats.relative_change(10, 100, 20, 100)  # risk ratio 0.5
    assert change == pytest.approx(-0.5)
    # exp(ln 0.5 +/- 1.96 sqrt(1/10 - 1/100 + 1/20 - 1/100)) - 1
    assert (round(ci.low, 4), round(ci.high, 4)) == (-0.7534, 0.0136)
    assert stats.relative_change(5, 10, 0, 10) is None  # no baseline rate
    assert stats.relative_change(0, 10, 5, 10) == (-1.0, None)


def test_bootstrap_median_is_reproducible_and_brackets_the_median():
    bins = [(60, 40), (120, 35), (300, 20), (1200, 5)]
    one, two = stats.bootstrap_median(bins), stats.bootstrap_median(bins)
    assert one == two  # seeded
    assert one.low <= 120 <= one.high
    assert stats.bootstrap_median([(300, 9)]) == stats.Interval(300.0, 300.0)
    assert stats.bootstrap_median([]) is None


def test_bootstrap_median_difference():
    now, before = [(600, 50), (900, 50)], [(1200, 50), (1500, 50)]
    ci = stats.bootstrap_median_difference(now, before)
    assert ci.high < 0  # clearly faster now
    assert ci.low >= -900
