"""The triage engine: a protocol document compiled into a fast, explainable decision function.

    protocol = compile_protocol(document, version=2, service_hours=program.service_hours)
    decision = protocol.decide(CallFacts("SERVICE - WELFARE CHECK", 3, "RP worried ...", at))
    decision.recommendation, decision.fired, decision.explanation

A document (a JSON-able dict; docs/triage-protocols.md has the full reference) holds a name, a
default recommendation, *exclusions* (weapon seen, violence in progress, medical emergency)
evaluated first, and ordered *rules*. The first exclusion, else the first rule, whose
conditions all hold decides; no match gives the default. Conditions: call types (patterns) and
screening categories (`vera`), priority range, call source, keywords in the call's words (its
call type and narrative) with negation ("no weapons seen" does not mention a weapon), time
windows or program hours, and flags such as frequent_caller.

This module does not touch Django or the database, so history can be re-triaged in bulk
anywhere. Speed comes from compiling: one regular expression (a trie of every keyword) finds
keyword starts in one pass; call type -> candidate rules is computed once per distinct call
type; program hours are a minute-of-week bitmap; and a decision is cached by everything it
depends on (call type, priority, source, flags, which hours windows are open, keyword hits), so
only the narrative scan is paid per call.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from . import vera

# The values and labels of dispatch.models.Recommendation (kept equal by a test).
RECOMMENDATIONS = {
    "co_responder": "Co-responder team",
    "civilian_team": "Civilian crisis team",
    "clinician_phone": "Clinician by phone",
    "988_transfer": "Transfer to 988",
    "police_only": "Police only",
    "ems": "EMS",
}
# dispatch.models.CallSource values.
SOURCES = ("911", "988", "non_emergency", "officer_initiated", "outreach", "walk_in")
FLAGS = ("frequent_caller",)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# A keyword is negated when one of these words comes before it, in the same clause, within the
# protocol's negation window (3 words unless set): "no weapons", "denies having weapons",
# "without a weapon", "not armed". Clauses end at punctuation and at these words.
# fmt: off
NEGATION_CUES = frozenset((
    "no", "not", "without", "denies", "denied", "deny", "denying", "never", "none", "nor",
    "neither", "negative", "non", "isn't", "wasn't", "doesn't", "didn't", "don't", "hasn't",
    "haven't", "cannot", "can't",
))
# fmt: on
CLAUSE_WORDS = frozenset(["but", "however", "though", "although", "except", "yet"])
# ... or when one of these follows it: "weapons: none", "weapons - neg".
NEGATED_AFTER = frozenset(("none", "negative", "neg", "denied"))
# Splitting a call's text into words: punctuation that ends a clause becomes a "," word (a dash
# only between spaces), other punctuation a space. This is the engine's hottest line, so ASCII
# text (nearly all CAD text) goes through bytes.translate, ten times faster than str.translate.
_PUNCTUATION = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r'
_CLAUSE_ENDS = ".;:!?,()[]="
_SPLIT = {ord(c): " " for c in _PUNCTUATION}
_SPLIT.update({ord(c): "," for c in _CLAUSE_ENDS})
_SPLIT[ord("\u2019")] = "'"
_SPLIT = str.maketrans(_SPLIT)
_SPLIT_BYTES = bytearray(range(256))
for _c in _PUNCTUATION:
    _SPLIT_BYTES[ord(_c)] = ord(" ")
for _c in _CLAUSE_ENDS:
    _SPLIT_BYTES[ord(_c)] = ord(",")
_SPLIT_BYTES = bytes(_SPLIT_BYTES)


def words_of(text: str) -> list[str]:
    """'RP states: no weapons (per RP)' -> ['rp', 'states', ',', 'no', 'weapons', ',', ...]."""
    text = text.lower().replace(" - ", ",")
    if text.isascii():
        text = text.encode("ascii").translate(_SPLIT_BYTES).decode("ascii")
    else:
        text = text.translate(_SPLIT)
    return text.replace(",", " , ").split()


_KEYWORD_SHAPE = re.compile(r"[a-z0-9][a-z0-9'&/ -]*\*?")
_ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}")
_TIME_SHAPE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")

TOP_KEYS = {
    "name",
    "description",
    "sources",
    "default",
    "service_hours",
    "negation_window",
    "exclusions",
    "rules",
}
CONDITION_KEYS = {
    "call_types",
    "categories",
    "call_sources",
    "priority",
    "keywords_any",
    "keywords_all",
    "keywords_none",
    "hours",
    "flags_any",
    "flags_none",
}
RULE_KEYS = {"id", "label", "recommend", "topic", "note", *CONDITION_KEYS}
MAX_RULES = 200
MAX_KEYWORDS = 300
EXPLANATION_MAX = 500
CACHE_LIMIT = 250_000
SCAN_CACHE_LIMIT = 50_000


class ProtocolError(ValueError):
    """A document that cannot be compiled; `.problems` says where and why, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))


class CallFacts(NamedTuple):
    """What triage looks at. `received_at` is aware; a naive one is taken as local time.

    A named tuple, not a frozen dataclass: an import builds one per call, and a tuple is made
    in about half the time."""

    call_type: str
    priority: int | None
    narrative: str
    received_at: datetime
    source: str = ""
    flags: frozenset[str] = frozenset()


_CALL_FLAGS = (frozenset(), frozenset({"frequent_caller"}))


def call_flags(frequent_caller: bool) -> frozenset[str]:
    """The flags of a call's facts: a frequent caller's, or none (one shared set each)."""
    return _CALL_FLAGS[bool(frequent_caller)]


@dataclass(frozen=True, slots=True)
class Decision:
    recommendation: str
    fired: tuple[str, ...]
    explanation: str

    @property
    def label(self) -> str:
        return RECOMMENDATIONS[self.recommendation]


def default_zone() -> tzinfo:
    """Django's TIME_ZONE when settings are configured, else CORESPONSE_TIME_ZONE."""
    try:
        from django.conf import settings

        if settings.configured:
            return ZoneInfo(settings.TIME_ZONE)
    except ImportError:  # pragma: no cover - Django is a dependency; the engine does not need it
        pass
    return ZoneInfo(os.environ.get("CORESPONSE_TIME_ZONE", "America/Denver"))


# --- validation ----------------------------------------------------------------------------------


def validate(document) -> list[str]:
    """Every problem of a document, as "where: what" lines; empty when it compiles."""
    problems: list[str] = []
    if not isinstance(document, dict):
        return ["the document must be a table of keys (a JSON object)"]
    _unknown_keys(document, TOP_KEYS, "", problems)
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: required, a short text such as 'Riverton ride-along'")
    elif len(name) > 80:
        problems.append("name: at most 80 characters")
    for key in ("description",):
        if key in document and not isinstance(document[key], str):
            problems.append(f"{key}: must be text")
    if "sources" in document and not _str_list(document["sources"]):
        problems.append("sources: must be a list of texts (where the criteria come from)")
    _recommendation(document.get("default"), "default", problems, required=True)
    if "service_hours" in document:
        _windows(document["service_hours"], "service_hours", problems)
    if "negation_window" in document:
        window = document["negation_window"]
        if type(window) is not int or not 0 <= window <= 6:
            problems.append("negation_window: a whole number of words from 0 to 6")
    seen: dict[str, str] = {}
    total = 0
    for section in ("exclusions", "rules"):
        rules = document.get(section, [])
        if not isinstance(rules, list):
            problems.append(f"{section}: must be a list of rules")
            continue
        total += len(rules)
        for i, rule in enumerate(rules):
            _rule(rule, f"{section}[{i}]", seen, problems)
    if not document.get("rules") and not document.get("exclusions"):
        problems.append("rules: at least one rule (or exclusion) is needed")
    if total > MAX_RULES:
        problems.append(f"rules: at most {MAX_RULES} rules and exclusions in all (has {total})")
    return problems


def _unknown_keys(table: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in table:
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(f"{where}{'.' if where else ''}{key}: unknown key{hint}")


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _recommendation(value, where: str, problems: list[str], *, required: bool) -> None:
    if value is None and not required:
        return
    if value not in RECOMMENDATIONS:
        choices = ", ".join(RECOMMENDATIONS)
        problems.append(f"{where}: {value!r} is not a recommendation (one of {choices})")


def _rule(rule, where: str, seen: dict[str, str], problems: list[str]) -> None:
    if not isinstance(rule, dict):
        problems.append(f"{where}: must be a table with id, label, recommend and conditions")
        return
    _unknown_keys(rule, RULE_KEYS, where, problems)
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not _ID_SHAPE.fullmatch(rule_id):
        problems.append(
            f"{where}.id: required, 1-20 letters, digits, '_', '.' or '-' (such as 'R3')"
        )
    elif rule_id in seen:
        problems.append(f"{where}.id: '{rule_id}' is already the id of {seen[rule_id]}")
    else:
        seen[rule_id] = where
    label = rule.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}.label: required, what the rule is about in a few words")
    elif len(label) > 120:
        problems.append(f"{where}.label: at most 120 characters")
    for key in ("topic", "note"):
        if key in rule and not isinstance(rule[key], str):
            problems.append(f"{where}.{key}: must be text")
    _recommendation(rule.get("recommend"), f"{where}.recommend", problems, required=True)
    if not CONDITION_KEYS & rule.keys():
        problems.append(
            f"{where}: has no condition; a rule needs at least one (use 'default' for the rest)"
        )
    if "call_types" in rule:
        value = rule["call_types"]
        if not _str_list(value) or not value or not all(v.strip() for v in value):
            problems.append(f"{where}.call_types: a non-empty list of call-type codes or patterns")
    if "categories" in rule:
        value = rule["categories"]
        known = vera.categories()
        if not _str_list(value) or not value:
            problems.append(f"{where}.categories: a non-empty list of category names")
        else:
            for category in value:
                if category not in known:
                    guess = difflib.get_close_matches(category, known, n=1)
                    hint = f"did you mean '{guess[0]}'?" if guess else "see docs for the list"
                    problems.append(f"{where}.categories: unknown category '{category}' ({hint})")
    if "call_sources" in rule:
        value = rule["call_sources"]
        if not _str_list(value) or not value or not set(value) <= set(SOURCES):
            problems.append(f"{where}.call_sources: a list of call sources ({', '.join(SOURCES)})")
    if "priority" in rule:
        _priority(rule["priority"], f"{where}.priority", problems)
    for key in ("keywords_any", "keywords_all", "keywords_none"):
        if key in rule:
            _keywords(rule[key], f"{where}.{key}", problems)
    if "hours" in rule:
        hours = rule["hours"]
        if isinstance(hours, str):
            if hours not in ("program", "outside_program"):
                problems.append(
                    f"{where}.hours: 'program', 'outside_program' or a list of windows "
                    '(such as [{days = [0, 1, 2, 3, 4], start = "08:00", end = "18:00"}])'
                )
        else:
            _windows(hours, f"{where}.hours", problems)
    for key in ("flags_any", "flags_none"):
        if key in rule:
            value = rule[key]
            if not _str_list(value) or not value or not set(value) <= set(FLAGS):
                problems.append(f"{where}.{key}: a list of flags ({', '.join(FLAGS)})")


def _priority(value, where: str, problems: list[str]) -> None:
    if type(value) is int:
        value = [value, value]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(v) is int and 1 <= v <= 5 for v in value)
        or value[0] > value[1]
    ):
        problems.append(f"{where}: a priority 1-5 or a range [low, high] such as [1, 3]")


def _keywords(value, where: str, problems: list[str]) -> None:
    if not _str_list(value) or not value:
        problems.append(f"{where}: a non-empty list of words or phrases")
        return
    if len(value) > MAX_KEYWORDS:
        problems.append(f"{where}: at most {MAX_KEYWORDS} keywords (has {len(value)})")
    seen = set()
    for keyword in value:
        norm = _norm_keyword(keyword)
        if not _KEYWORD_SHAPE.fullmatch(norm) or len(norm.rstrip("*")) < 2:
            problems.append(
                f"{where}: '{keyword}' is not a keyword (letters, digits, spaces, ' & / -; at "
                "least 2 characters; '*' only at the end)"
            )
        elif norm.endswith("*") and len(norm) < 4:
            problems.append(f"{where}: '{keyword}' needs at least 3 letters before '*'")
        elif norm in seen:
            problems.append(f"{where}: '{keyword}' is listed twice")
        seen.add(norm)


def _windows(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append(f"{where}: a list of windows {{days, start, end}}")
        return
    for i, window in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(window, dict):
            problems.append(f"{at}: a window {{days = [0, ..., 6], start = 'HH:MM', end = ...}}")
            continue
        _unknown_keys(window, {"days", "start", "end"}, at, problems)
        days = window.get("days")
        if (
            not isinstance(days, list)
            or not days
            or not all(type(d) is int and 0 <= d <= 6 for d in days)
        ):
            problems.append(f"{at}.days: a list of weekdays, 0 (Monday) to 6 (Sunday)")
        start, end = window.get("start"), window.get("end")
        for key, text in (("start", start), ("end", end)):
            if not isinstance(text, str) or not _TIME_SHAPE.fullmatch(text):
                problems.append(f"{at}.{key}: a time 'HH:MM' (00:00 to 24:00)")
        if start == "24:00":
            problems.append(f"{at}.start: a window cannot start at 24:00")
        elif isinstance(start, str) and start == end:
            problems.append(
                f"{at}: start and end are both {start} (use 00:00 to 24:00 for all day)"
            )


def hours_problems(windows) -> list[str]:
    """Problems of a list of service-hours windows (Program.service_hours); empty when fine."""
    problems: list[str] = []
    _windows(windows, "service_hours", problems)
    return problems


def _norm_keyword(keyword: str) -> str:
    return " ".join(keyword.lower().replace("_", " ").split())


# --- compiling -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Keyword:
    id: int
    text: str
    words: tuple[str, ...]  # the keyword's words; the last is a prefix when `star`
    star: bool


@dataclass(slots=True)
class _Rule:
    id: str
    label: str
    recommend: str
    exclusion: bool
    topic: str
    type_patterns: re.Pattern | None
    categories: frozenset[str] | None
    sources: frozenset[str] | None
    priority: tuple[int, int] | None
    kw_any: frozenset[int] | None
    kw_all: frozenset[int] | None
    kw_none: frozenset[int] | None
    window: int  # index of the rule's hours window set, -1 without
    want_open: bool  # True: the window must be open; False: closed (outside program hours)
    hours_text: str
    flags_any: frozenset[str] | None
    flags_none: frozenset[str] | None

    def takes_type(self, canon: str, categories: frozenset[str]) -> bool:
        if self.type_patterns is not None and self.type_patterns.fullmatch(canon):
            return True
        if self.categories is not None and not self.categories.isdisjoint(categories):
            return True
        return self.type_patterns is None and self.categories is None

    def holds(self, priority, source, affirmed, tsig: int, flags, *, hours: bool = True) -> bool:
        if self.priority is not None and (
            priority is None or not self.priority[0] <= priority <= self.priority[1]
        ):
            return False
        if self.sources is not None and source not in self.sources:
            return False
        if self.kw_any is not None and self.kw_any.isdisjoint(affirmed):
            return False
        if self.kw_all is not None and not self.kw_all <= affirmed:
            return False
        if self.kw_none is not None and not self.kw_none.isdisjoint(affirmed):
            return False
        if hours and self.window >= 0 and bool(tsig >> self.window & 1) != self.want_open:
            return False
        if self.flags_any is not None and self.flags_any.isdisjoint(flags):
            return False
        return self.flags_none is None or self.flags_none.isdisjoint(flags)


class _Hits(NamedTuple):  # a tuple, so hashing it (decision cache keys) stays in C
    affirmed: frozenset[int]
    negated: frozenset[int]
    surfaces: tuple[tuple[int, str], ...]  # (keyword id, text as written), affirmed ones


def compile_protocol(
    document: dict,
    *,
    version: int | None = None,
    service_hours: list | None = None,
    tz: tzinfo | None = None,
) -> CompiledProtocol:
    """Validate and compile a document. `service_hours` (the program's) override the
    document's own; `version` only names the version in explanations."""
    problems = validate(document)
    if service_hours is not None:
        _windows(service_hours, "program service_hours", problems)
    if problems:
        raise ProtocolError(problems)
    return CompiledProtocol(document, version, service_hours, tz or default_zone())


class CompiledProtocol:
    def __init__(self, document: dict, version: int | None, service_hours, tz: tzinfo):
        self.name = document["name"].strip()
        self.version = version
        self.ref = f"{self.name} v{version}" if version is not None else self.name
        self.default = document["default"]
        self.tz = tz
        self.negation_window = document.get("negation_window", 3)
        hours = service_hours if service_hours is not None else document.get("service_hours", [])
        self.program_hours = hours
        self._keywords: dict[str, _Keyword] = {}
        self._window_sets: list[bytes] = []
        self._window_keys: dict[str, int] = {}
        self.exclusions = [self._rule(r, True) for r in document.get("exclusions", [])]
        self.rules = [self._rule(r, False) for r in document.get("rules", [])]
        self._index()
        self._types: dict[str, tuple[tuple[_Rule, ...], tuple[_Rule, ...]]] = {}
        self._decisions: dict[tuple, Decision] = {}

    # compile helpers

    def _kw_ids(self, words) -> frozenset[int] | None:
        if words is None:
            return None
        ids = []
        for word in words:
            text = _norm_keyword(word)
            keyword = self._keywords.get(text)
            if keyword is None:
                star = text.endswith("*")
                words = tuple(w for w in words_of(text.rstrip("*")) if w != ",")
                keyword = _Keyword(len(self._keywords), text, words, star)
                self._keywords[text] = keyword
            ids.append(keyword.id)
        return frozenset(ids)

    def _window_set(self, windows) -> int:
        key = repr(windows)
        if key not in self._window_keys:
            bitmap = bytearray(7 * 1440)
            if not windows:  # no hours: always open (a 24/7 program)
                bitmap = bytearray(b"\x01" * (7 * 1440))
            for window in windows:
                start, end = _minutes(window["start"]), _minutes(window["end"])
                for day in window["days"]:
                    spans = [(start, end)] if start < end else [(start, 1440), (0, end)]
                    for i, (a, b) in enumerate(spans):
                        base = ((day + i) % 7) * 1440  # the overnight part is the next day's
                        bitmap[base + a : base + b] = b"\x01" * (b - a)
            self._window_keys[key] = len(self._window_sets)
            self._window_sets.append(bytes(bitmap))
        return self._window_keys[key]

    def _rule(self, spec: dict, exclusion: bool) -> _Rule:
        window, want_open, hours_text = -1, True, ""
        hours = spec.get("hours")
        if hours in ("program", "outside_program"):
            window = self._window_set(self.program_hours)
            want_open = hours == "program"
            hours_text = "program hours"
        elif hours is not None:
            window = self._window_set(hours)
            hours_text = describe_windows(hours)
        priority = spec.get("priority")
        if type(priority) is int:
            priority = (priority, priority)
        patterns = spec.get("call_types")
        return _Rule(
            id=spec["id"],
            label=spec["label"].strip(),
            recommend=spec["recommend"],
            exclusion=exclusion,
            topic=spec.get("topic", "").strip(),
            type_patterns=_type_pattern(patterns) if patterns else None,
            categories=frozenset(spec["categories"]) if "categories" in spec else None,
            sources=frozenset(spec["call_sources"]) if "call_sources" in spec else None,
            priority=tuple(priority) if priority else None,
            kw_any=self._kw_ids(spec.get("keywords_any")),
            kw_all=self._kw_ids(spec.get("keywords_all")),
            kw_none=self._kw_ids(spec.get("keywords_none")),
            window=window,
            want_open=want_open,
            hours_text=hours_text,
            flags_any=frozenset(spec["flags_any"]) if "flags_any" in spec else None,
            flags_none=frozenset(spec["flags_none"]) if "flags_none" in spec else None,
        )

    def _index(self) -> None:
        """Lookup tables keyed on a call's words: one dict probe per word finds candidates."""
        exact: dict[str, int] = {}  # one-word keyword -> id
        prefixes: list[tuple[str, int]] = []  # one-word keyword ending in '*'
        phrases: dict[str, list[_Keyword]] = {}  # first word -> keywords of several words
        for keyword in self._keywords.values():
            if len(keyword.words) > 1:
                phrases.setdefault(keyword.words[0], []).append(keyword)
            elif keyword.star:
                prefixes.append((keyword.words[0], keyword.id))
            else:
                exact[keyword.words[0]] = keyword.id
        self._exact = exact
        self._prefixes = tuple(prefixes)
        self._prefix_starts = tuple(p for p, _ in prefixes)
        # first word -> (second word -> phrases, two-word phrases whose second word is a prefix)
        self._phrases = {}
        for first, group in phrases.items():
            by_second: dict[str, list[_Keyword]] = {}
            starred = []
            for keyword in group:
                if keyword.star and len(keyword.words) == 2:
                    starred.append(keyword)
                else:
                    by_second.setdefault(keyword.words[1], []).append(keyword)
            self._phrases[first] = ({k: tuple(v) for k, v in by_second.items()}, tuple(starred))
        self._vocabulary = _Vocabulary()

    def _learn(self, vocabulary: _Vocabulary, words: set[str]) -> None:
        """Sort words never seen before into those that start a keyword and the rest."""
        exact, phrases, starts = self._exact, self._phrases, self._prefix_starts
        for word in words:
            vocabulary.known.add(word)
            found, chained = exact.get(word), phrases.get(word)
            prefixed = bool(starts) and word.startswith(starts)
            if found is None and not chained and not prefixed:
                continue
            singles = (found,) if found is not None else ()
            if prefixed:
                singles += tuple(kid for p, kid in self._prefixes if word.startswith(p))
            vocabulary.entries[word] = (singles, chained)
            vocabulary.relevant.add(word)

    # deciding

    def decide(self, facts: CallFacts) -> Decision:
        return self._decide(facts, self.scan(facts.call_type, facts.narrative))

    def decide_many(self, facts: Iterable[CallFacts]) -> list[Decision]:
        """The bulk path: as decide, with each distinct (call type, narrative) scanned once."""
        scanned: dict[tuple[str, str], _Hits] = {}
        out = []
        append, decide, scan = out.append, self._decide, self.scan
        for f in facts:
            key = (f.call_type, f.narrative)
            hits = scanned.get(key)
            if hits is None:
                if len(scanned) >= SCAN_CACHE_LIMIT:  # free text rarely repeats far apart
                    scanned.clear()
                hits = scanned[key] = scan(f.call_type, f.narrative)
            append(decide(f, hits))
        return out

    def scan(self, call_type: str, narrative: str) -> _Hits:
        """Keyword hits in the call's words (its call type, then its narrative).

        Set operations (in C) find the words that start a keyword; only their positions are
        visited, and only a hit pays for the negation check. Words are sorted into relevant or
        not the first time they are seen, so a vocabulary of a few thousand words is learnt once.
        """
        if not self._keywords:
            return _NO_HITS
        tokens = words_of(f"{call_type}. {narrative}")
        words = set(tokens)
        vocabulary = self._vocabulary
        if len(vocabulary.known) > CACHE_LIMIT:
            vocabulary = self._vocabulary = _Vocabulary()
        new = words - vocabulary.known
        if new:
            self._learn(vocabulary, new)
        relevant = words & vocabulary.relevant
        if not relevant:
            return _NO_HITS
        entries, window = vocabulary.entries, self.negation_window
        affirmed: dict[int, str] = {}
        negated: set[int] = set()
        last = len(tokens) - 1
        for i in [i for i, token in enumerate(tokens) if token in relevant]:
            singles, chained = entries[tokens[i]]
            ends: list[tuple[int, int]] = []  # phrases said here: (keyword id, last word)
            if chained is not None and i < last:
                by_second, starred = chained
                following = tokens[i + 1]
                for keyword in by_second.get(following, ()):
                    if end := _phrase_end(keyword, tokens, i):
                        ends.append((keyword.id, end))
                for keyword in starred:
                    if following.startswith(keyword.words[1]):
                        ends.append((keyword.id, i + 1))
            if not singles and not ends:
                continue
            before = False  # a negation cue in the words just before, in the same clause
            for j in range(i - 1, max(-1, i - 1 - window), -1):
                token = tokens[j]
                if token in NEGATION_CUES:
                    before = True
                    break
                if token == "," or token in CLAUSE_WORDS:
                    break
            if singles:
                if before or _negated_after(tokens, i):
                    negated.update(singles)
                else:
                    for kid in singles:
                        if kid not in affirmed:
                            affirmed[kid] = tokens[i]
            for kid, end in ends:
                if before or _negated_after(tokens, end):
                    negated.add(kid)
                elif kid not in affirmed:
                    affirmed[kid] = " ".join(tokens[i : end + 1])
        if not affirmed and not negated:
            return _NO_HITS
        surfaces = tuple(sorted(affirmed.items()))
        return _Hits(frozenset(affirmed), frozenset(negated - affirmed.keys()), surfaces)

    def _time_signature(self, at: datetime) -> int:
        if not self._window_sets:
            return 0
        local = at.astimezone(self.tz) if at.tzinfo is not None else at
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        signature = 0
        for i, bitmap in enumerate(self._window_sets):
            if bitmap[minute]:
                signature |= 1 << i
        return signature

    def _candidates(self, call_type: str) -> tuple[tuple[_Rule, ...], tuple[_Rule, ...]]:
        found = self._types.get(call_type)
        if found is None:
            canon = vera.canon(call_type)
            categories = vera.categories_of(call_type)
            found = (
                tuple(r for r in self.exclusions if r.takes_type(canon, categories)),
                tuple(r for r in self.rules if r.takes_type(canon, categories)),
            )
            if len(self._types) > CACHE_LIMIT:
                self._types.clear()
            self._types[call_type] = found
        return found

    def _decide(self, facts: CallFacts, hits: _Hits) -> Decision:
        tsig = self._time_signature(facts.received_at)
        key = (facts.call_type, facts.priority, facts.source, facts.flags, tsig, hits)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._evaluate(facts, hits, tsig)
            if len(self._decisions) > CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def _evaluate(self, facts: CallFacts, hits: _Hits, tsig: int) -> Decision:
        exclusions, rules = self._candidates(facts.call_type)
        args = (facts.priority, facts.source, hits.affirmed, tsig, facts.flags)
        for rule in exclusions:
            if rule.holds(*args):
                return Decision(rule.recommend, (rule.id,), self._excluded(rule, hits))
        for rule in rules:
            if rule.holds(*args):
                return Decision(rule.recommend, (rule.id,), self._ruled(rule, hits))
        for rule in rules:  # the closest miss: a rule that only its hours kept from firing
            if rule.window >= 0 and rule.holds(*args, hours=False):
                return Decision(self.default, (), self._defaulted(facts, rule))
        return Decision(self.default, (), self._defaulted(facts, None))

    # explaining: one sentence a dispatcher reads at a glance

    def _excluded(self, rule: _Rule, hits: _Hits) -> str:
        quote = ""
        if rule.kw_any:
            said = [text for kw, text in hits.surfaces if kw in rule.kw_any]
            quote = f' ("{said[0]}")' if said else ""
        return _sentence(
            f"{RECOMMENDATIONS[rule.recommend]}: {rule.label}{quote} "
            f"(exclusion {rule.id} of {self.ref})."
        )

    def _ruled(self, rule: _Rule, hits: _Hits) -> str:
        reason = rule.label
        if rule.hours_text:
            reason += f" {'during' if rule.want_open else 'outside'} {rule.hours_text}"
        if rule.flags_any and "frequent_caller" in rule.flags_any:
            reason += " from a frequent caller"
        safety = self._safety(hits)
        return _sentence(
            f"{RECOMMENDATIONS[rule.recommend]}: {reason}"
            f"{'; ' + safety if safety else ''} (rule {rule.id} of {self.ref})."
        )

    def _safety(self, hits: _Hits) -> str:
        """What the exclusions' topics say: 'no weapon per narrative, no violence mentioned'."""
        denied, absent = [], []
        for rule in self.exclusions:
            if not rule.topic or not rule.kw_any or not rule.kw_any.isdisjoint(hits.affirmed):
                continue
            target = denied if not rule.kw_any.isdisjoint(hits.negated) else absent
            if rule.topic not in denied and rule.topic not in absent:
                target.append(rule.topic)
        parts = [f"no {t} per narrative" for t in denied]
        if absent:
            parts.append(f"no {_join(absent)} mentioned")
        return ", ".join(parts)

    def _defaulted(self, facts: CallFacts, near: _Rule | None) -> str:
        label = RECOMMENDATIONS[self.default]
        if near is not None:
            side = "outside" if near.want_open else "during"
            return _sentence(
                f"{label}: {near.label} but {side} {near.hours_text} (rule {near.id}); "
                f"no other rule matched (default of {self.ref})."
            )
        at = f" at priority {facts.priority}" if facts.priority else ""
        return _sentence(
            f'{label}: no rule matched call type "{facts.call_type.strip()}"{at} '
            f"(default of {self.ref})."
        )

    @property
    def keywords(self) -> list[str]:
        return [k.text for k in self._keywords.values()]


_NO_HITS = _Hits(frozenset(), frozenset(), ())


class _Vocabulary:
    """Words seen so far, and for those that start a keyword: (exact id, prefix ids, phrases)."""

    __slots__ = ("known", "relevant", "entries")

    def __init__(self):
        self.known: set[str] = set()
        self.relevant: set[str] = set()
        self.entries: dict[str, tuple] = {}


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:] if text else text
    if len(text) <= EXPLANATION_MAX:
        return text
    return text[: EXPLANATION_MAX - 1].rstrip() + "…"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def describe_windows(windows: list[dict]) -> str:
    """'Mon-Fri 08:00-18:00, Sat 10:00-14:00' for a list of windows."""
    if not windows:
        return "all hours"
    parts = []
    for window in windows:
        parts.append(f"{_describe_days(window['days'])} {window['start']}–{window['end']}")
    return ", ".join(parts)


def _describe_days(days: list[int]) -> str:
    days = sorted(set(days))
    if days == list(range(7)):
        return "daily"
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{DAYS[days[0]]}–{DAYS[days[-1]]}"
    return ", ".join(DAYS[d] for d in days)


def _type_pattern(patterns: list[str]) -> re.Pattern:
    """Call-type patterns ('*' is any text) as one case-insensitive, space-tolerant regex."""
    parts = []
    for pattern in patterns:
        text = vera.canon(pattern)
        parts.append(".*".join(re.escape(piece) for piece in text.split("*")))
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _phrase_end(keyword: _Keyword, tokens: list[str], i: int) -> int:
    """Index of the phrase's last word when the phrase starts at tokens[i], else 0."""
    words = keyword.words
    end = i + len(words) - 1
    if end >= len(tokens):
        return 0
    for offset in range(1, len(words) - 1):
        if tokens[i + offset] != words[offset]:
            return 0
    last = tokens[end]
    if keyword.star:
        return end if last.startswith(words[-1]) else 0
    return end if last == words[-1] else 0


def _negated_after(tokens: list[str], end: int) -> bool:
    """'weapons: none', 'weapons - neg', 'weapons denied'."""
    after = tokens[end + 1 : end + 3]
    if after and after[0] == ",":
        after = after[1:]
    return bool(after) and after[0] in NEGATED_AFTER
