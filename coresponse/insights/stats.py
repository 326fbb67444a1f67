"""Confidence intervals and comparisons that hold up, at 95%.

- a rate: the Wilson score interval (Wilson 1927; Newcombe 1998, method 3);
- the difference of two rates: Newcombe's hybrid score interval (Newcombe 1998, method 10),
  built from the two Wilson intervals;
- the relative change of a rate (ratio − 1): the log method for a ratio of two proportions
  (Katz et al. 1978);
- a median, and the difference of two medians: the percentile bootstrap (Efron & Tibshirani
  1993) of the duration histograms, each resample's median drawn through its order statistic
  (see _medians) with a seeded generator, so that the same data gives the same interval every
  time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240601


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of successes/n; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(x1: int, n1: int, x2: int, n2: int) -> tuple[float, Interval] | None:
    """p1 − p2 with Newcombe's hybrid score interval; None if either n is 0."""
    a, b = wilson(x1, n1), wilson(x2, n2)
    if a is None or b is None:
        return None
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2)
    high = d + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2)
    return d, Interval(low, high)


def relative_change(x1: int, n1: int, x0: int, n0: int) -> tuple[float, Interval | None] | None:
    """(p1 / p0 − 1, its interval by the log method); None without a baseline rate.

    With a zero count on either side the log interval does not exist: the change is returned
    without an interval."""
    if not n1 or not n0 or not x0:
        return None
    change = (x1 / n1) / (x0 / n0) - 1
    if not x1:
        return change, None
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    log_ratio = math.log((x1 / n1) / (x0 / n0))
    return change, Interval(math.exp(log_ratio - Z95 * se) - 1, math.exp(log_ratio + Z95 * se) - 1)


def _medians(values: np.ndarray, counts: np.ndarray, rng, resamples: int) -> np.ndarray:
    """The median of each of `resamples` bootstrap samples of the histogram (values, counts).

    A bootstrap sample is n draws with replacement from the data, that is F⁻¹(V) for n uniform
    V, F the data's cumulative distribution; its k-th smallest value is F⁻¹(V₍ₖ₎), and the
    k-th of n uniforms is Beta(k, n − k + 1). So each resample's median is drawn exactly without
    drawing its n values: for even n, the next order statistic given V₍ₖ₎ = u is
    u + (1 − u) · Beta(1, n − k). Cost: O(resamples · log bins), whatever n.
    """
    n = int(counts.sum())
    cumulative = np.cumsum(counts) / n
    last = len(values) - 1

    def value_at(u):
        return values[np.minimum(np.searchsorted(cumulative, u, side="left"), last)]

    if n == 1:
        return np.full(resamples, values[0])
    k = (n + 1) // 2 if n % 2 else n // 2
    lower = rng.beta(k, n - k + 1, size=resamples)
    if n % 2:
        return value_at(lower)
    upper = lower + (1 - lower) * rng.beta(1, n - k, size=resamples)
    return (value_at(lower) + value_at(upper)) / 2


def _arrays(bins) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([v for v, _ in bins], dtype=float)
    counts = np.array([c for _, c in bins], dtype=float)
    return values, counts


def bootstrap_median(
    bins, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> Interval | None:
    """The percentile-bootstrap interval of the median of a histogram [(value, count), ...]."""
    if not bins:
        return None
    rng = np.random.default_rng(seed)
    medians = _medians(*_arrays(bins), rng, resamples)
    low, high = np.percentile(medians, [2.5, 97.5])
    return Interval(float(low), float(high))


def bootstrap_median_difference(
    bins1, bins0, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> Interval | None:
    """The bootstrap interval of median(1) − median(0), the two samples resampled apart."""
    if not bins1 or not bins0:
        return None
    rng = np.random.default_rng(seed)
    one = _medians(*_arrays(bins1), rng, resamples)
    zero = _medians(*_arrays(bins0), rng, resamples)
    low, high = np.percentile(one - zero, [2.5, 97.5])
    return Interval(float(low), float(high))
