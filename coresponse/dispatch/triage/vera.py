"""Screening categories of call-type codes, from the Vera Institute's 911 call-type taxonomy.

A city's CAD names its call types its own way ("SERVICE - WELFARE CHECK", "127D_Suicide
Threat", "MENTAL PATIENT"). Protocols may match on a category instead of listing every code, so
an unfamiliar code is still screened. `category_of(code)` answers, in this order:

1. exact: the code, upper-cased with runs of spaces collapsed, is one of the ~3,700 codes of
   five cities and the Vera master list (data/*.csv). A code filed under two categories takes
   the one most rows give it (ties: the first in the files).
2. words: otherwise the code's words vote. A word is *telling* when it occurs in at least two
   known codes and at least 75% of those share one category ("SUICIDAL", "OVERDOSE",
   "MENTAL"); words such as "PERSON" or "CHECK" are not. Each telling word votes for its
   category with its share times the number of codes it occurs in (at most 10); the largest
   sum wins. A code without a telling word has no category (None).

`categories_of(code)` adds "Welfare Check", a Coresponse screening category: Vera files welfare
checks under "Statuses" or "Assisting the Public" with unrelated codes, while civilian and
co-responder programs screen them on their own. A code is a welfare check when it says so
("WELFARE CHECK", "CHECK WELFARE", "WELL CK", ...) and not "NO WELFARE CHK".
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CITY_FILE = DATA / "vera_calltype_mapping_by_city.csv"
MASTER_FILE = DATA / "vera_types_master_list.csv"

WELFARE_CHECK = "Welfare Check"
# Spelling variants in the source, folded into one category each.
VARIANTS = {
    "Assist the Public": "Assisting the Public",
    "Medical": "Medical Emergencies",
    "Warrant": "Warrants",
    "Call Related Isuues": "Call Related Issues",
}
TELLING_SHARE = 0.75
# Words about grammar or the person rather than the event.
# fmt: off
STOPWORDS = frozenset((
    "AND", "THE", "WITH", "FOR", "NOT", "NON", "BUT", "OTHER", "ETC", "FROM", "MAN", "WOMAN",
    "MALE", "FEMALE", "PERSON", "PERSONS", "SUBJECT", "SUBJ",
))
# fmt: on

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[A-Z]{3,}")
_WELFARE = re.compile(
    r"(?<!NO )\b(?:WELFARE\s*(?:CHECK|CHK|CK)|CHECK\s+(?:THE\s+)?WELFARE"
    r"|WELL\s*-?\s*(?:CHECK|CHK|CK))\b"
)


def canon(code: str) -> str:
    """The form codes are compared in: upper case, spaces collapsed, trimmed."""
    return _SPACES.sub(" ", code.upper()).strip()


@cache
def _table() -> tuple[dict[str, str], dict[str, tuple[str, float]]]:
    """(code -> category, telling word -> (category, share)), built once from the CSV files."""
    votes: dict[str, Counter] = defaultdict(Counter)
    order: dict[str, list[str]] = defaultdict(list)

    def add(code: str, category: str) -> None:
        code, category = canon(code), VARIANTS.get(category.strip(), category.strip())
        if not code or not category:
            return
        votes[code][category] += 1
        if category not in order[code]:
            order[code].append(category)

    with CITY_FILE.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            add(row["Field 1"], row["Category"])
    with MASTER_FILE.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)  # header
        for row in rows:
            if len(row) >= 2:
                add(row[0], row[1])

    codes = {}
    for code, counter in votes.items():
        best = max(counter.values())
        codes[code] = next(c for c in order[code] if counter[c] == best)

    per_word: dict[str, Counter] = defaultdict(Counter)
    for code, category in codes.items():
        for word in set(_WORDS.findall(code)) - STOPWORDS:
            per_word[word][category] += 1
    telling = {}
    for word, counter in per_word.items():
        total = sum(counter.values())
        category, n = counter.most_common(1)[0]
        if total >= 2 and n / total >= TELLING_SHARE:
            # A word seen in more codes is stronger evidence (capped, so no word drowns others).
            telling[word] = (category, n / total * min(total, 10))
    return codes, telling


def categories() -> tuple[str, ...]:
    """Every category a protocol may name: Vera's (spelling variants folded) and Welfare Check."""
    codes, _ = _table()
    return tuple(sorted({*codes.values(), WELFARE_CHECK}))


@lru_cache(maxsize=4096)
def category_of(code: str) -> str | None:
    """The Vera category of a call-type code: exact when known, else by its telling words."""
    key = canon(code)
    codes, telling = _table()
    if key in codes:
        return codes[key]
    scores: Counter = Counter()
    for word in set(_WORDS.findall(key)):
        hit = telling.get(word)
        if hit is not None:
            scores[hit[0]] += hit[1]
    if not scores:
        return None
    return max(sorted(scores), key=lambda c: scores[c])


def is_welfare_check(code: str) -> bool:
    return _WELFARE.search(canon(code)) is not None


@lru_cache(maxsize=4096)
def categories_of(code: str) -> frozenset[str]:
    """The screening categories of a code: its Vera category, plus Welfare Check when it is one."""
    found = set()
    category = category_of(code)
    if category:
        found.add(category)
    if is_welfare_check(code):
        found.add(WELFARE_CHECK)
    return frozenset(found)
