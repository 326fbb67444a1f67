"""CAD mappings: the shipped ones are valid and documented, a wrong one is refused with every
mistake, and times are read in the format and zone the mapping names."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coresponse.interop.cad import MappingError, load_mapping
from coresponse.interop.cad.mapping import FIELDS, SETTINGS, from_document, time_parser

ROOT = Path(__file__).resolve().parents[3]
MAPPINGS = sorted((ROOT / "docs" / "cad-mappings").glob("*.toml"))
DENVER = ZoneInfo("America/Denver")


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.stem)
def test_every_shipped_mapping_loads_and_is_documented(path):
    mapping = load_mapping(path)
    assert mapping.name and mapping.url.startswith("https://")
    doc = (ROOT / "docs" / "cad-import.md").read_text(encoding="utf-8")
    assert f"cad-mappings/{path.name}" in doc
    for column in mapping.columns.values():
        assert f"`{column}`" in doc, (path.name, column)


def test_at_least_three_differently_shaped_public_formats_are_shipped():
    mappings = [load_mapping(path) for path in MAPPINGS]
    assert len({m.tag for m in mappings}) == len(mappings) >= 3
    locations = {("point" in m.columns, "latitude" in m.columns) for m in mappings}
    assert locations == {(True, False), (False, True)}
    assert len({m.time_zone for m in mappings}) >= 3
    assert any(m.priorities for m in mappings) and any(not m.priorities for m in mappings)


def test_the_format_document_lists_every_field_and_setting():
    doc = (ROOT / "docs" / "cad-import.md").read_text(encoding="utf-8")
    for name in (*FIELDS, *SETTINGS):
        assert f"`{name}`" in doc, name


def test_a_wrong_mapping_is_refused_with_every_mistake():
    document = {
        "name": "",
        "tag": "has space",
        "time_format": "%Q",
        "time_zone": "Mars/Olympus",
        "colour": "blue",
        "columns": {"id": "Id", "when": "Time", "latitude": "Lat", "narrative": " "},
        "priorities": {"1": 1, "9": 9, "X": "high"},
        "sources": {"T": "telepathy"},
        "default_source": "pigeon",
        "delimiter": ";;",
        "encoding": "klingon",
    }
    with pytest.raises(MappingError) as caught:
        from_document(document, "bad.toml")
    assert caught.value.problems == [
        "bad.toml: colour: unknown setting (expected: " + ", ".join(SETTINGS) + ")",
        "bad.toml: priorities.X: must be a whole number from 1 to 5 (0: no priority)",
        "bad.toml: name: is required (what this export is)",
        "bad.toml: tag: 'has space' must be 1 to 24 letters, digits, '.', '_' or '-' (it prefixes"
        " every imported call id)",
        "bad.toml: columns.when: unknown field (expected: " + ", ".join(FIELDS) + ")",
        "bad.toml: columns.narrative: names no column",
        "bad.toml: columns.received_at: is required (when the call was received)",
        "bad.toml: columns.call_type: is required (the CAD call type, a code or a label)",
        "bad.toml: columns: latitude and longitude go together",
        "bad.toml: time_zone: 'Mars/Olympus' is not an IANA time zone",
        "bad.toml: time_format: '%Q' is not a strptime format ('Q' is a bad directive in format"
        " '%Q')",
        "bad.toml: priorities.9: is 9; must be from 1 to 5 (0: no priority)",
        "bad.toml: priorities: there is no priority column to translate",
        "bad.toml: sources: there is no source column to translate",
        "bad.toml: sources.T: 'telepathy' is not one of: 911, 988, non_emergency,"
        " officer_initiated, outreach, walk_in",
        "bad.toml: default_source: 'pigeon' is not one of: 911, 988, non_emergency,"
        " officer_initiated, outreach, walk_in",
        "bad.toml: encoding: 'klingon' is not a known encoding",
        "bad.toml: delimiter: must be one character (not a quote or line end)",
    ]


def test_a_file_that_is_not_toml_says_where(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('name = "x\n')
    with pytest.raises(MappingError, match=r"m.toml: not a TOML file \(.*line 1"):
        load_mapping(path)
    with pytest.raises(MappingError, match="no such file"):
        load_mapping(tmp_path / "none.toml")


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%m/%d/%Y %I:%M:%S %p", "03/28/2021 01:05:07 PM", datetime(2021, 3, 28, 13, 5, 7)),
        ("%m/%d/%Y %I:%M:%S %p", "03/28/2021 12:05:07 AM", datetime(2021, 3, 28, 0, 5, 7)),
        ("%m/%d/%Y %I:%M:%S %p", " 3/8/2021  9:05:07 pm ", datetime(2021, 3, 8, 21, 5, 7)),
        ("%b %d %Y %I:%M:%S:%f%p", "Mar 28 2021 01:05:07:000PM", datetime(2021, 3, 28, 13, 5, 7)),
        ("%Y-%m-%d %H:%M", "2021-03-28 13:05", datetime(2021, 3, 28, 13, 5)),
        ("%d.%m.%y %H:%M:%S.%f", "28.03.21 13:05:07.25", datetime(2021, 3, 28, 13, 5, 7, 250000)),
        ("%Y%m%d%H%M%S", "20210328130507", datetime(2021, 3, 28, 13, 5, 7)),
        ("%j %Y %H:%M", "087 2021 13:05", datetime(2021, 3, 28, 13, 5)),  # strptime's own
        ("iso", "2021-03-28T13:05:07", datetime(2021, 3, 28, 13, 5, 7)),
        ("iso", "2021-03-28 13:05:07.000", datetime(2021, 3, 28, 13, 5, 7)),
    ],
)
def test_times_are_read_in_the_format_and_the_zone_of_the_mapping(fmt, text, expected):
    parse = time_parser(fmt, DENVER)
    value = parse(text)
    assert value == expected.replace(tzinfo=DENVER) and value.tzinfo is DENVER


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        (
            "%Y/%m/%d %H:%M:%S%z",
            "2021/03/28 19:05:07+00",
            datetime(2021, 3, 28, 19, 5, 7, tzinfo=UTC),
        ),
        ("iso", "2021-03-28T13:05:07-06:00", datetime(2021, 3, 28, 19, 5, 7, tzinfo=UTC)),
        ("iso", "2021-03-28T19:05:07Z", datetime(2021, 3, 28, 19, 5, 7, tzinfo=UTC)),
        (
            "%Y-%m-%d %H:%M %z",
            "2021-03-28 13:05 +0530",
            datetime(2021, 3, 28, 13, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
    ],
)
def test_a_time_with_its_offset_keeps_it(fmt, text, expected):
    assert time_parser(fmt, DENVER)(text) == expected


def test_clock_changes_read_as_the_first_of_two_times_and_before_a_skipped_hour():
    parse = time_parser("%m/%d/%Y %I:%M:%S %p", DENVER)
    repeated = parse("11/02/2025 01:30:00 AM")  # happens twice: MDT first, then MST
    assert repeated.astimezone(UTC) == datetime(2025, 11, 2, 7, 30, tzinfo=UTC)
    skipped = parse("03/09/2025 02:30:00 AM")  # never happens: read with the offset before
    assert skipped.astimezone(UTC) == datetime(2025, 3, 9, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2021-03-28", "13/28/2021 01:05:07 PM", "03/28/2021 13:05:07 PM", "yesterday", ""]
)
def test_a_time_not_in_the_format_says_what_was_expected(text):
    with pytest.raises(ValueError, match=r"is not a time like '03/28/2021 01:05:07 PM'"):
        time_parser("%m/%d/%Y %I:%M:%S %p", DENVER)(text)
