"""Batch linkage with Splink: estimate the model's parameters from the data, score every
candidate pair. DuckDB on one machine (the default), Apache Spark to scale out; both run the
same comparisons with the same parameters, so they give the same pairs.

    params, summary = train(records)                       # EM on the records themselves
    for pair in predict(records, Model(params)): ...        # (id_l, id_r, probability, levels)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import backends
from .comparisons import BY_NAME
from .model import Model, default_parameters, sanitised
from .records import present_columns, to_arrow

logger = logging.getLogger(__name__)

# How many random pairs estimate the u probabilities: 20 per record, from 150,000 (small data
# sets) up to 5,000,000 (a million records and more). Splink recommends 1e6-1e7 for large data.
U_PAIRS_PER_RECORD, U_PAIRS_MIN, U_PAIRS_MAX = 20, 1.5e5, 5e6


# Pairs one EM session iterates over at most (Splink samples the blocked pairs beyond it): at a
# million records, pairs sharing a birth date alone number tens of millions.
EM_MAX_PAIRS = 2e6


# What Splink itself reports while it trains and predicts (each chunk of u sampling, each EM
# iteration, each level the data never shows, whose default m then stays): errors only,
# unless someone asks (`coresponse link -v 2`).
LOG_LEVEL = logging.ERROR


def u_pairs_for(records: int) -> float:
    return min(U_PAIRS_MAX, max(U_PAIRS_MIN, U_PAIRS_PER_RECORD * records))


@dataclass(frozen=True)
class Pair:
    id_l: int
    id_r: int
    probability: float
    match_weight: float
    levels: tuple[int, ...] = ()  # per comparison of the model, the level (0: a value missing)


@dataclass
class Summary:
    records: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    pairs: int = 0
    skipped: list[str] = field(default_factory=list)  # EM sessions whose estimates were dropped

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "seconds": self.seconds,
            "pairs": self.pairs,
            "skipped_em_sessions": self.skipped,
        }


def _settings(
    parameters: dict, *, trained: bool, link_type: str = "dedupe_only", levels: bool = False
):
    from splink import SettingsCreator

    comparisons = [
        BY_NAME[entry["name"]].splink(entry["levels"] if trained else None)
        for entry in parameters["comparisons"]
    ]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[_rule(rule) for rule in parameters["blocking"]],
        probability_two_random_records_match=parameters["prior"],
        # Splink keeps the comparison vectors (gamma_<name>) only with the matching columns.
        retain_matching_columns=levels,
        retain_intermediate_calculation_columns=False,
    )


def _rule(rule):
    """A blocking rule (linkage.comparisons.BLOCKING_RULES) for Splink."""
    from splink import block_on

    if not any("=" in part for part in rule):
        return block_on(*rule)
    conditions = []
    for part in rule:
        left, _, right = part.partition("=")
        conditions.append(f"l.{left} = r.{right or left}")
    return " AND ".join(conditions)


def _deterministic_rules(columns: set[str]):
    """Rules that almost only true matches meet, for the prior's estimate."""
    from splink import block_on

    rules = [block_on("first", "last", "dob")]
    if "identifier" in columns:
        rules.append(block_on("identifier"))
    if "phone" in columns:
        rules.append(block_on("phone", "last"))
    return rules


def _training_rules(columns: set[str]) -> list[tuple[str, ...]]:
    """EM blocks: each trains the comparisons that do not use its columns."""
    return [("dob",), ("first", "last")]


def train(
    records: list[dict] | object,  # or a to_arrow table (dedupe only)
    backend: str | None = None,
    u_pairs: float | None = None,
    link_type: str = "dedupe_only",
):
    """Estimate the parameters from `records` (unlabelled): the prior from deterministic
    rules, u by random sampling, m by expectation maximisation. Returns (parameters, Summary).

    link_type "dedupe_only" compares every record with every other; "link_only" only records
    of different `source`s (two files known to hold no duplicates of their own)."""
    from django.conf import settings
    from splink import Linker, block_on

    if u_pairs is None:
        u_pairs = getattr(settings, "LINKAGE_U_PAIRS", None) or u_pairs_for(len(records))
    summary = Summary(records=len(records))
    columns = present_columns(records)
    start = parameters = default_parameters(columns)
    with backends.session(backend) as api:
        began = time.perf_counter()
        table = _register(api, records, link_type)
        linker = Linker(
            table, _settings(start, trained=False, link_type=link_type), log_level=LOG_LEVEL
        )
        linker.training.estimate_probability_two_random_records_match(
            _deterministic_rules(columns), recall=0.7
        )
        summary.seconds["prior"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=42)
        summary.seconds["u"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        for rule in _training_rules(columns):
            before = linker.misc.save_model_to_json()
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*rule),
                    estimate_without_term_frequencies=True,
                    max_pairs=EM_MAX_PAIRS if len(records) > 50_000 else None,
                )
            except ValueError as error:
                # Splink refuses an m probability that underflowed to 0 (a level EM drives to
                # "never among matches"). The session is discarded whole and the model goes on
                # from the estimates of the sessions before it.
                logger.warning("EM blocked on %s discarded: %s", ", ".join(rule), error)
                summary.skipped.append(", ".join(rule))
                linker = Linker(table, before, log_level=LOG_LEVEL)
        summary.seconds["em"] = round(time.perf_counter() - began, 2)
        trained = linker.misc.save_model_to_json()
    parameters = _from_splink(trained, start)
    return parameters, summary


def _from_splink(trained: dict, start: dict) -> dict:
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    comparisons = []
    for entry in start["comparisons"]:
        levels = by_name[entry["name"]]["comparison_levels"]
        comparisons.append(
            {
                "name": entry["name"],
                "levels": [
                    {
                        "label": level.get("label_for_charts"),
                        "m": level.get("m_probability"),
                        "u": level.get("u_probability"),
                    }
                    for level in levels
                ],
            }
        )
    return sanitised(
        {
            "prior": trained["probability_two_random_records_match"],
            "comparisons": comparisons,
            "blocking": start["blocking"],
        }
    )


def _register(api, records, link_type: str):
    """Hand the records (dicts, or to_arrow's table of them to deduplicate) to the backend."""
    if link_type == "dedupe_only":
        groups = {"records": records}
    else:
        groups = {}
        for row in records:
            groups.setdefault(row["source"], []).append(row)
    tables = []
    for name, rows in groups.items():
        table = rows if hasattr(rows, "num_rows") else to_arrow(rows)
        if backends.kind(api) == "spark":
            table = api.spark.createDataFrame(table.to_pandas())
        tables.append(api.register(table, dataset_display_name=f"source_{name}"))
    return tables[0] if link_type == "dedupe_only" else tables


def predict(
    records: list[dict] | object,  # or a to_arrow table (dedupe only)
    model: Model,
    backend: str | None = None,
    threshold: float | None = None,
    link_type: str = "dedupe_only",
) -> Iterator[Pair]:
    """Every candidate pair of `records` scoring at least `threshold` (the model's review
    threshold by default), smaller id first, with the level of each comparison (what the
    model's evidence is made from, Model.evidence, without comparing the records again)."""
    from splink import Linker

    threshold = model.review_threshold if threshold is None else threshold
    with backends.session(backend) as api:
        table = _register(api, records, link_type)
        linker = Linker(
            table,
            _settings(model.parameters, trained=True, link_type=link_type, levels=True),
            log_level=LOG_LEVEL,
        )
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        gammas = [f"gamma_{name}" for name in model.comparison_names]
        columns = ["unique_id_l", "unique_id_r", "match_probability", "match_weight", *gammas]
        # Splink numbers a comparison's levels from the else level (0) up, the null level -1;
        # ours count from the null level (0) down to the else level (n - 1).
        tops = [len(comparison.levels) - 1 for comparison, _ in model.comparisons]
        for row in backends.rows(api, predictions, columns):
            a, b = int(row[0]), int(row[1])
            levels = tuple(
                0 if gamma < 0 else top - gamma for gamma, top in zip(row[4:], tops, strict=True)
            )
            yield Pair(min(a, b), max(a, b), float(row[2]), float(row[3]), levels)
