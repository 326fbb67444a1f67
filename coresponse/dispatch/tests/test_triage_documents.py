"""Protocol documents: validation problems say where and what; TOML round trips; changes
between versions read as sentences; example files load by name or path."""

import copy
import json
import tomllib

import pytest

from coresponse.dispatch.triage import documents, protocols
from coresponse.dispatch.triage.engine import ProtocolError, compile_protocol, validate

GOOD = {
    "name": "Test protocol",
    "default": "police_only",
    "exclusions": [
        {"id": "X1", "label": "weapon", "recommend": "police_only", "keywords_any": ["gun"]}
    ],
    "rules": [
        {
            "id": "R1",
            "label": "welfare check",
            "recommend": "civilian_team",
            "categories": ["Welfare Check"],
            "priority": [3, 5],
        }
    ],
}


def broken(**changes):
    document = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return document


def test_a_good_document_has_no_problems():
    assert validate(GOOD) == []


@pytest.mark.parametrize(
    "document, problem",
    [
        ([], "the document must be a table of keys (a JSON object)"),
        (broken(name=...), "name: required"),
        (broken(default="send_everyone"), "default: 'send_everyone' is not a recommendation"),
        (broken(rule=[]), "rule: unknown key (did you mean 'rules'?)"),
        (broken(rules__0__id="X1"), "rules[0].id: 'X1' is already the id of exclusions[0]"),
        (broken(rules__0__id="R 1"), "rules[0].id: required, 1-20 letters"),
        (broken(rules__0__label=""), "rules[0].label: required"),
        (broken(rules__0__recommend="police"), "rules[0].recommend: 'police' is not a"),
        (broken(rules__0__keyword_any=["x"]), "rules[0].keyword_any: unknown key (did you mean"),
        (broken(rules__0__categories=["Mental Helth"]), "unknown category 'Mental Helth'"),
        (broken(rules__0__priority=[4, 2]), "rules[0].priority: a priority 1-5 or a range"),
        (broken(rules__0__priority=6), "rules[0].priority: a priority 1-5"),
        (broken(exclusions__0__keywords_any=[]), "exclusions[0].keywords_any: a non-empty list"),
        (broken(exclusions__0__keywords_any=["g*n"]), "'g*n' is not a keyword"),
        (broken(exclusions__0__keywords_any=["gu*"]), "'gu*' needs at least 3 letters"),
        (broken(exclusions__0__keywords_any=["gun", "GUN"]), "'GUN' is listed twice"),
        (broken(rules__0__hours="daytime"), "rules[0].hours: 'program', 'outside_program'"),
        (
            broken(rules__0__hours=[{"days": [7], "start": "8:00", "end": "18:00"}]),
            "rules[0].hours[0].days: a list of weekdays, 0 (Monday) to 6 (Sunday)",
        ),
        (
            broken(rules__0__hours=[{"days": [1], "start": "8:00", "end": "18:00"}]),
            "rules[0].hours[0].start: a time 'HH:MM'",
        ),
        (
            broken(rules__0__hours=[{"days": [1], "start": "08:00", "end": "08:00"}]),
            "rules[0].hours[0]: start and end are both 08:00",
        ),
        (broken(rules__0__flags_any=["vip"]), "rules[0].flags_any: a list of flags"),
        (broken(rules__0__call_sources=["fax"]), "rules[0].call_sources: a list of call sources"),
        (
            broken(rules__0__categories=..., rules__0__priority=...),
            "rules[0]: has no condition",
        ),
        (broken(negation_window=9), "negation_window: a whole number of words from 0 to 6"),
        (broken(rules=..., exclusions=...), "rules: at least one rule"),
    ],
)
def test_problems_say_where_and_what(document, problem):
    problems = validate(document)
    assert any(p.startswith(problem) or problem in p for p in problems), problems


def test_compile_raises_with_every_problem():
    document = broken(default="x", rules__0__recommend="y")
    with pytest.raises(ProtocolError) as error:
        compile_protocol(document)
    assert len(error.value.problems) == 2
    assert "default" in str(error.value) and "rules[0].recommend" in str(error.value)


@pytest.mark.parametrize("name", sorted(protocols.EXAMPLES))
def test_toml_round_trip_of_every_example(name):
    document = protocols.load(name)
    text = documents.dumps(document)
    assert tomllib.loads(text) == document
    parsed, problems = documents.parse(text)
    assert parsed == document and problems == []


def test_parse_reports_toml_syntax_with_its_line():
    document, problems = documents.parse('name = "x"\ndefault = police_only\n')
    assert document is None
    assert problems[0].startswith("TOML: ") and "line 2" in problems[0]


def test_load_by_path_and_unknown_name(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(GOOD))
    assert protocols.load(path) == GOOD
    with pytest.raises(FileNotFoundError, match="one of star, cahoots"):
        protocols.load("nonexistent")


def test_changes_between_versions_read_as_sentences():
    new = copy.deepcopy(GOOD)
    new["rules"][0]["priority"] = [2, 5]
    new["exclusions"][0]["keywords_any"] = ["gun", "knife"]
    new["rules"].append({"id": "R2", "label": "overdose", "recommend": "ems", "priority": 1})
    new["description"] = "Now described."
    assert documents.changes(GOOD, new) == [
        'description: set to "Now described."',
        'exclusion X1 keywords_any: added "knife"',
        "Added rule R2: overdose",
        "rule R1 priority: [3, 5] → [2, 5]",
    ]
    diff = documents.text_diff(GOOD, new, 1)
    assert "--- version 1" in diff and '+    "knife"' not in diff and "knife" in diff


def test_describe_a_rule_for_readers():
    rule = {
        "id": "R1",
        "label": "x",
        "recommend": "ems",
        "priority": [1, 2],
        "keywords_any": ["gun"],
        "hours": "program",
        "flags_any": ["frequent_caller"],
    }
    hours = [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]
    assert documents.describe(rule, hours) == [
        ("Priority", "1–2"),
        ("Words, any of", "gun"),
        ("When", "program hours (Mon–Fri 08:00–18:00)"),
        ("Flag", "frequent caller"),
    ]
