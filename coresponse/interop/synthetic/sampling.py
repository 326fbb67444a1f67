"""Fast, deterministic draws from one random.Random (the generator's only source of chance)."""

from __future__ import annotations

import bisect


def pick(rng, items):
    """A uniform choice (as rng.choice, without its per-call overhead)."""
    return items[int(rng.random() * len(items))]


def choose(rng, weights) -> int:
    """The index of a weighted choice."""
    target = rng.random() * sum(weights)
    running = 0.0
    for index, weight in enumerate(weights):
        running += weight
        if target < running:
            return index
    return len(weights) - 1


def weighted(rng, pairs):
    """A weighted choice among (item, weight) pairs."""
    pairs = tuple(pairs)
    return pairs[choose(rng, [w for _, w in pairs])][0]


class Picker:
    """A weighted choice with precomputed cumulative weights, for the hot paths."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = [item for item, _ in pairs]
        self.cum = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]
