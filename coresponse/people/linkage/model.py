"""A linkage model's parameters and how a pair of records is scored with them (in Python).

The parameters are those of a Fellegi-Sunter model: the prior (the probability that two records
drawn at random are one human) and, for every level of every comparison, m (the share of true
matches in that level) and u (the share of non-matches). A pair's match weight is
log2(prior odds) + the sum of log2(m / u) of its levels (a missing value adds nothing); its
match probability is 2^w / (1 + 2^w). Splink computes exactly this in SQL for the batch run;
`Model.score` computes it here for one pair at a time (lookups, incremental linking, the
reviewer's explanation), with the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .comparisons import BLOCKING_RULES, BY_NAME, COMPARISONS, Comparison, rule_columns

FLOOR = 1e-6  # the smallest m or u kept: a level never seen in training is rare, not impossible
DEFAULT_PRIOR = 1e-4
DEFAULT_AUTO_THRESHOLD = 0.95
DEFAULT_REVIEW_THRESHOLD = 0.5


class ModelError(ValueError):
    """Saved parameters that do not fit the comparisons this code declares."""


def _normalised(values: list[float]) -> list[float]:
    total = sum(values)
    return [max(FLOOR, value / total) for value in values]


def default_parameters(columns: set[str] | None = None) -> dict:
    """The starting parameters (and what an untrained deployment scores with): the defaults
    declared with each level, for the comparisons whose columns are present."""
    comparisons = []
    for comparison in COMPARISONS:
        if columns is not None and not set(comparison.columns) <= columns:
            continue
        levels = comparison.levels[1:]
        m = _normalised([level.m for level in levels])
        u = _normalised([level.u for level in levels])
        comparisons.append(
            {
                "name": comparison.name,
                "levels": [{"label": comparison.levels[0].label, "m": None, "u": None}]
                + [
                    {"label": level.label, "m": m_value, "u": u_value}
                    for level, m_value, u_value in zip(levels, m, u, strict=True)
                ],
            }
        )
    rules = [
        list(rule) for rule in BLOCKING_RULES if columns is None or rule_columns(rule) <= columns
    ]
    return {"prior": DEFAULT_PRIOR, "comparisons": comparisons, "blocking": rules}


def sanitised(parameters: dict) -> dict:
    """Parameters with every m and u a probability of at least FLOOR (None from a level that
    training never saw becomes the level's default), checked against the declared levels."""
    defaults = {c["name"]: c for c in default_parameters()["comparisons"]}
    comparisons = []
    for entry in parameters["comparisons"]:
        comparison = BY_NAME.get(entry["name"])
        if comparison is None or len(entry["levels"]) != len(comparison.levels):
            raise ModelError(f"comparison {entry['name']!r} does not match this version's levels")
        levels = [{"label": comparison.levels[0].label, "m": None, "u": None}]
        for index, level in enumerate(entry["levels"][1:], start=1):
            default = defaults[comparison.name]["levels"][index]
            m, u = level.get("m"), level.get("u")
            levels.append(
                {
                    "label": comparison.levels[index].label,
                    "m": min(1.0, max(FLOOR, default["m"] if m is None else float(m))),
                    "u": min(1.0, max(FLOOR, default["u"] if u is None else float(u))),
                }
            )
        comparisons.append({"name": comparison.name, "levels": levels})
    prior = float(parameters.get("prior") or DEFAULT_PRIOR)
    return {
        "prior": min(0.5, max(1e-12, prior)),
        "comparisons": comparisons,
        "blocking": [list(rule) for rule in parameters.get("blocking", BLOCKING_RULES)],
    }


@dataclass(frozen=True)
class Evidence:
    """One comparison of a scored pair: which level it fell in and what that weighed."""

    comparison: str  # "first_name"
    title: str  # "First name"
    level: int  # 0 = a value is missing
    label: str  # "nickname of the same name"
    weight: float  # log2(m / u): above 0 for a match, below for a non-match

    @property
    def agrees(self) -> bool:
        return self.weight > 0

    @property
    def missing(self) -> bool:
        return self.level == 0


@dataclass(frozen=True)
class Scored:
    probability: float
    match_weight: float
    evidence: tuple[Evidence, ...]

    def why(self, limit: int = 4) -> tuple[str, ...]:
        """The strongest reasons, in words, strongest first: ("same date of birth", "nickname
        of the same name", "different phone numbers")."""
        shown = sorted((e for e in self.evidence if not e.missing), key=lambda e: -abs(e.weight))
        return tuple(e.label for e in shown[:limit])

    def weights(self) -> list[list]:
        """As stored on an IdentityLink: [[comparison, label, weight], ...]."""
        return [[e.comparison, e.label, round(e.weight, 3)] for e in self.evidence]


class Model:
    """Parameters ready to score pairs; `version` is the LinkModel row's (None: the defaults)."""

    def __init__(
        self,
        parameters: dict,
        *,
        version: int | None = None,
        pk: int | None = None,
        auto_threshold: float = DEFAULT_AUTO_THRESHOLD,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    ):
        self.parameters = sanitised(parameters)
        self.version, self.pk = version, pk
        self.auto_threshold, self.review_threshold = auto_threshold, review_threshold
        self.prior_weight = math.log2(self.parameters["prior"] / (1 - self.parameters["prior"]))
        self.comparisons: list[tuple[Comparison, list[float]]] = []
        for entry in self.parameters["comparisons"]:
            weights = [0.0] + [math.log2(lv["m"] / lv["u"]) for lv in entry["levels"][1:]]
            self.comparisons.append((BY_NAME[entry["name"]], weights))
        self.blocking = [tuple(rule) for rule in self.parameters["blocking"]]

    def __repr__(self) -> str:
        return f"Model(version={self.version})"

    @property
    def comparison_names(self) -> list[str]:
        return [comparison.name for comparison, _ in self.comparisons]

    def score(self, left: dict, right: dict) -> Scored:
        return self.scored(self.levels(left, right))

    def levels(self, left: dict, right: dict) -> tuple[int, ...]:
        """The level each comparison puts the pair in."""
        return tuple(c.level(left, right) for c, _ in self.comparisons)

    def scored(self, levels: tuple[int, ...]) -> Scored:
        """The score of a pair whose comparisons fell in these levels (one per comparison)."""
        total = self.prior_weight
        evidence = []
        for (comparison, weights), index in zip(self.comparisons, levels, strict=True):
            weight = weights[index]
            total += weight
            evidence.append(
                Evidence(
                    comparison.name,
                    comparison.title,
                    index,
                    comparison.levels[index].label,
                    weight,
                )
            )
        return Scored(probability(total), total, tuple(evidence))

    def status_for(self, probability_: float) -> str | None:
        """ "auto", "review" or None (below the review threshold: nothing is written)."""
        if probability_ >= self.auto_threshold:
            return "auto"
        if probability_ >= self.review_threshold:
            return "review"
        return None


def probability(match_weight: float) -> float:
    if match_weight > 60:
        return 1.0
    if match_weight < -60:
        return 0.0
    odds = 2.0**match_weight
    return odds / (1 + odds)
