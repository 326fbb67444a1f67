"""The declaration itself: it mirrors every model constraint, each column type parses what it
formats, and the format document lists every file, column and enumeration value."""

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.db import models

from coresponse.interop.bundle import FILES
from coresponse.interop.bundle.schema import Choice, ChoiceList

QUARTER_PAST = datetime(2025, 3, 5, 5, 15, tzinfo=UTC)
HALF_SECOND = timedelta(seconds=0.5)
DOC = Path(__file__).resolve().parents[3] / "docs" / "exchange-format.md"


def test_every_check_constraint_of_an_imported_model_is_checked_per_row():
    for spec in FILES:
        declared = {
            c.name for c in spec.model._meta.constraints if isinstance(c, models.CheckConstraint)
        }
        assert spec.constraints == declared, spec.name


def test_every_column_names_a_model_field_or_a_note():
    for spec in FILES:
        for column in spec.columns:
            assert column.note or spec.model._meta.get_field(column.field), column
        assert spec.id.field == "external_id" and spec.id.required


@pytest.mark.parametrize(
    ("file", "column", "text", "value"),
    [
        ("calls.csv", "received_at", "2025-03-04T22:15:00-07:00", QUARTER_PAST),
        ("calls.csv", "received_at", "2025-03-05T05:15:00.5Z", QUARTER_PAST + HALF_SECOND),
        ("calls.csv", "priority", " 3 ", 3),
        ("calls.csv", "priority", "", None),
        ("calls.csv", "latitude", "-0.1", -0.1),
        ("calls.csv", "narrative", "  two spaces kept  ", "  two spaces kept  "),
        ("persons.csv", "veteran", "", None),
        ("persons.csv", "veteran", "False", False),
        ("persons.csv", "dob", "1990-01-31", date(1990, 1, 31)),
        ("encounters.csv", "arrest", "", False),
        ("encounters.csv", "services", " assessment ;referral;", ["assessment", "referral"]),
        ("encounters.csv", "services", "", []),
        ("programs.csv", "agency_ids", "A1; A2", ["A1", "A2"]),
        ("programs.csv", "focus_population", "", "general"),
        ("followups.csv", "attempts", "", 0),
    ],
)  # fmt: skip
def test_cells_parse_to_stored_values(file, column, text, value):
    spec = next(s for s in FILES if s.name == file)
    assert spec.by_name[column].parse(text) == value


@pytest.mark.parametrize(
    ("file", "column", "text", "reason"),
    [
        ("calls.csv", "received_at", "2025-03-04 22:15", "needs a UTC offset (2025-03-04 22:15)"),
        ("calls.csv", "received_at", "2025-03-04", "needs a UTC offset (2025-03-04)"),
        ("calls.csv", "priority", "1.0", "'1.0' is not a whole number"),
        ("calls.csv", "latitude", "inf", "'inf' is not a finite number"),
        ("persons.csv", "dob", "20250304", "'20250304' is not a date YYYY-MM-DD"),
        ("persons.csv", "veteran", "yes", "'yes' is not true or false"),
        ("persons.csv", "person_id", "x" * 65, "is 65 characters long; at most 64 fit"),
        ("encounters.csv", "services", "referral;referral", "lists 'referral' twice"),
        ("programs.csv", "agency_ids", "A1;A1", "lists 'A1' twice"),
    ],
)
def test_bad_cells_say_why(file, column, text, reason):
    spec = next(s for s in FILES if s.name == file)
    with pytest.raises(ValueError) as raised:
        spec.by_name[column].parse(text)
    assert str(raised.value) == reason


def test_timestamps_are_formatted_in_the_configured_zone_and_parse_back(settings):
    settings.TIME_ZONE = "America/Denver"
    column = FILES[3].by_name["received_at"]
    for moment in (
        datetime(2025, 1, 15, 12, 0, tzinfo=UTC),
        datetime(2025, 7, 15, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2025, 11, 2, 7, 30, tzinfo=UTC),  # 01:30 MDT, the first of two 01:30s
        datetime(2025, 11, 2, 8, 30, tzinfo=UTC),  # 01:30 MST, the second
        datetime(2025, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ):
        text = column.format(moment)
        assert column.parse(text) == moment
    assert column.format(datetime(2025, 11, 2, 7, 30, tzinfo=UTC)) == "2025-11-02T01:30:00-06:00"
    assert column.format(datetime(2025, 11, 2, 8, 30, tzinfo=UTC)) == "2025-11-02T01:30:00-07:00"


def test_floats_are_written_so_that_they_read_back_exactly():
    column = FILES[3].by_name["longitude"]
    for value in (0.1 + 0.2, -104.99030000000001, 1e-7, -180.0):
        assert column.parse(column.format(value)) == value


def test_the_format_document_lists_every_file_column_and_enumeration_value():
    text = DOC.read_text(encoding="utf-8")
    for spec in FILES:
        assert f"## {spec.name}" in text, spec.name
        for column in spec.columns:
            assert f"| `{column.name}` |" in text, (spec.name, column.name)
            if isinstance(column.type, Choice | ChoiceList):
                for value in column.type.values:
                    assert f"`{value}`" in text, (spec.name, column.name, value)
