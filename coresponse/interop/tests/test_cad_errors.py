"""CAD exports as they come: odd ones import, broken ones are refused with every problem at its
physical line and column, and --skip-bad imports the rest."""

# The CSV texts are kept verbatim, as a CAD system would write them.
# ruff: noqa: E501

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponse.dispatch.models import Call, TriageResult
from coresponse.interop.cad import CadImportError, import_calls, load_mapping
from coresponse.privacy.models import AuditEvent

MAPPING = """
name = "Test CAD"
tag = "t"
time_format = "%m/%d/%Y %I:%M:%S %p"
time_zone = "America/Denver"

[columns]
id = "Event"
received_at = "Received"
call_type = "Type"
priority = "Pri"
source = "How"
address = "Where"
point = "Location"
narrative = "Remarks"
caller_phone = "Phone"

[priorities]
"1" = 1
"2" = 2
"3" = 3
"P" = 0

[sources]
"911" = "911"
"SELF" = "officer_initiated"
"""
HEADER = "Event,Received,Type,Pri,How,Where,Location,Remarks,Phone"


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "test.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def write(tmp_path, text: str, name="calls.csv", *, bom=False, crlf=False) -> str:
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


ODD = f"""{HEADER}

E1,03/04/2025 10:15:00 PM,SERVICE - WELFARE CHECK,2,911,100 Main St,"POINT (-105.08 40.58)","RP says ""not himself"",
pacing outside",(970) 555-0100
,,,,,,,,

E2,03/05/2025 01:00:00 AM,PERSON IN BEHAVIORAL/EMOTIONAL CRISIS,P,SELF,,"(40.59, -105.07)",,
"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bom", "crlf"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_a_byte_order_mark_windows_line_ends_empty_lines_and_quoted_newlines_are_fine(
    tmp_path, mapping, bom, crlf
):
    path = write(tmp_path, ODD, bom=bom, crlf=crlf)
    report = import_calls(path, load_mapping(mapping))
    assert report.problems == [] and report.imported == 2
    first, second = Call.objects.get(external_id="t-E1"), Call.objects.get(external_id="t-E2")
    assert first.narrative == 'RP says "not himself",\npacing outside'
    assert first.received_at == datetime(2025, 3, 5, 5, 15, tzinfo=UTC)  # MST, UTC-7
    assert (first.latitude, first.longitude) == (40.58, -105.08)  # POINT: longitude first
    assert (second.latitude, second.longitude) == (40.59, -105.07)  # (lat, lon)
    assert first.caller_phone == "9705550100" and second.caller_phone == ""
    assert (first.priority, second.priority) == (2, None)  # "P": stored without a priority
    assert (first.source, second.source) == ("911", "officer_initiated")
    assert first.address == "100 Main St" and first.call_type == "SERVICE - WELFARE CHECK"
    assert TriageResult.objects.count() == 2


BROKEN = f"""{HEADER}
E1,03/04/2025 10:15:00 PM,SERVICE - WELFARE CHECK,2,911,100 Main St,,"two
lines",
E2,2025-03-04 22:15,SERVICE - WELFARE CHECK,2,911,,,,
E3,03/04/2025 10:15:00 PM,,9,phone,,,,
E1,03/04/2025 10:16:00 PM,TRESPASS,1,911,,,,
E5,03/04/2025 10:17:00 PM,TRESPASS,1,911,,POINT (200 95),,call me
E6,13/45/2025 10:17:00 PM,TRESPASS,1,911,,,,
E7,03/04/2025 10:18:00 PM,TRESPASS,1,911,,,,,extra
,03/04/2025 10:19:00 PM,TRESPASS,1,911,,,,
E9,03/04/2025 11:00:00 PM,ZZ UNHEARD-OF CODE,3,911,,,,
"""
EXPECTED = [
    "FILE:4:Received: '2025-03-04 22:15' is not a time like '03/28/2021 01:05:07 PM' (%m/%d/%Y %I:%M:%S %p)",
    "FILE:5:Type: is required: the call type",
    "FILE:5:Pri: '9' is not a priority code of the mapping (1, 2, 3, P)",
    "FILE:5:How: 'phone' is not a source value of the mapping (911, SELF)",
    "FILE:6:Event: repeats call 'E1' (first on line 2)",
    "FILE:7:Location: 'POINT (200 95)' is outside -90..90 latitude, -180..180 longitude",
    "FILE:7:Phone: 'call me': Use digits only (spaces, dashes, dots and parentheses are fine).",
    "FILE:8:Received: '13/45/2025 10:17:00 PM' is not a time like '03/28/2021 01:05:07 PM' (%m/%d/%Y %I:%M:%S %p)",
    "FILE:9:: has 10 values; the header has 9 columns",
    "FILE:10:Event: is required: the call's id",
]


@pytest.mark.django_db
def test_a_broken_file_is_refused_whole_with_every_problem_at_its_line_and_column(
    tmp_path, mapping
):
    path = write(tmp_path, BROKEN)
    audit = AuditEvent.objects.count()
    with pytest.raises(CadImportError) as caught:
        import_calls(path, load_mapping(mapping))
    assert [str(p).replace(path, "FILE") for p in caught.value.problems] == EXPECTED
    assert Call.objects.count() == 0 and AuditEvent.objects.count() == audit

    err = io.StringIO()
    with pytest.raises(CommandError, match=r"10 problems in .*; nothing was imported \(--skip-bad"):
        call_command(
            "import-calls",
            path,
            mapping=str(mapping),
            no_progress=True,
            stderr=err,
            stdout=io.StringIO(),
        )
    assert err.getvalue().replace(path, "FILE").splitlines() == EXPECTED
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_skip_bad_reports_the_bad_rows_and_imports_the_rest(tmp_path, mapping):
    path = write(tmp_path, BROKEN, crlf=True)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import-calls",
        path,
        mapping=str(mapping),
        skip_bad=True,
        no_progress=True,
        stdout=out,
        stderr=err,
    )
    assert err.getvalue().replace(path, "FILE").splitlines() == EXPECTED
    # The good rows: the first E1 (its repeat on line 6 is the bad one) and E9.
    assert sorted(Call.objects.values_list("external_id", flat=True)) == ["t-E1", "t-E9"]
    assert Call.objects.get(external_id="t-E1").narrative == "two\nlines"
    text = out.getvalue()
    assert "Imported 2 calls" in text and "Skipped 7 bad rows" in text
    # An unknown call type is no problem: it is screened by the default, and counted.
    assert "1 call types (1 calls) have no screening category" in text
    assert "'ZZ UNHEARD-OF CODE' (1)" in text
    assert TriageResult.objects.filter(call__external_id="t-E9").exists()


@pytest.mark.django_db
def test_missing_columns_stop_the_import_even_with_skip_bad(tmp_path, mapping):
    text = "\n\nEvent,Received,How,Where,Location,Remarks,Phone,Where\nE1,03/04/2025 10:15:00 PM,911,,,,,\n"
    path = write(tmp_path, text)
    with pytest.raises(CadImportError) as caught:
        import_calls(path, load_mapping(mapping), skip_bad=True)
    assert [str(p).replace(path, "FILE") for p in caught.value.problems] == [
        "FILE:3:Type: column is missing from the header (the mapping reads call_type from it)",
        "FILE:3:Pri: column is missing from the header (the mapping reads priority from it)",
        "FILE:3:Where: appears twice in the header: which one?",
    ]
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "FILE:1:: is empty: there is no header"),
        (b"\n \n", "FILE:1:: is empty: there is no header"),
        (
            HEADER.encode() + b"\nE1,03/04/2025 10:15:00 PM,Caf\xe9,1,911,,,,\n",
            "FILE:2:: is not utf-8 (invalid continuation byte); set encoding",
        ),
        (
            HEADER.encode() + b'\nE1,03/04/2025 10:15:00 PM,X,1,911,,,"quoted"text,\n',
            "FILE:2:: is not valid CSV (',' expected after '\"')",
        ),
        (
            HEADER.encode() + b'\nE1,03/04/2025 10:15:00 PM,X,1,911,,,"unclosed\n',
            "FILE:2:: is not valid CSV (unexpected end of data)",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(tmp_path, mapping, data, expected):
    path = tmp_path / "calls.csv"
    path.write_bytes(data)
    with pytest.raises(CadImportError) as caught:
        import_calls(path, load_mapping(mapping), skip_bad=True)
    assert [str(p).replace(str(path), "FILE") for p in caught.value.problems] == [expected]


@pytest.mark.django_db
def test_another_encoding_is_read_when_the_mapping_names_it(tmp_path, mapping):
    mapping.write_text(MAPPING.replace('tag = "t"', 'tag = "t"\nencoding = "cp1252"'))
    path = tmp_path / "calls.csv"
    path.write_bytes(
        HEADER.encode() + b"\nE1,03/04/2025 10:15:00 PM,Caf\xe9 disturbance,1,911,,,,\n"
    )
    import_calls(path, load_mapping(mapping))
    assert Call.objects.get().call_type == "Café disturbance"


@pytest.mark.django_db
def test_a_bad_mapping_or_a_missing_file_stops_the_command(tmp_path, mapping):
    path = write(tmp_path, ODD)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ntag = "no spaces allowed"\n[columns]\nid = "Event"\n')
    err = io.StringIO()
    with pytest.raises(CommandError, match="cannot be used; nothing was imported"):
        call_command("import-calls", path, mapping=str(bad), stderr=err, stdout=io.StringIO())
    assert "tag: 'no spaces allowed' must be 1 to 24 letters" in err.getvalue()
    assert "columns.received_at: is required" in err.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("import-calls", str(tmp_path / "nope.csv"), mapping=str(mapping))
    with pytest.raises(CommandError, match="--program 'nope': no such program"):
        call_command("import-calls", path, mapping=str(mapping), program="nope")
    assert Call.objects.count() == 0


PAIR_MAPPING = """
name = "Pairs"
tag = "p"
time_format = "%Y-%m-%d %H:%M"
time_zone = "UTC"
[columns]
id = "id"
received_at = "at"
call_type = "type"
priority = "priority"
latitude = "lat"
longitude = "lon"
address = "address"
caller_name = "caller"
district = "beat"
"""
LONG = "x" * 301


@pytest.mark.django_db
def test_coordinates_in_two_columns_lengths_and_plain_priorities_are_checked(tmp_path):
    mapping = tmp_path / "pairs.toml"
    mapping.write_text(PAIR_MAPPING)
    text = (
        "id,at,type,priority,lat,lon,address,caller,beat\n"
        "1,2025-03-01 10:00,TRESPASS,1,40.5,-105.1,1 Main St,Ann,B1\n"
        "2,2025-03-01 10:00,TRESPASS,6,40.5,,,,B1\n"
        f"3,2025-03-01 10:00,TRESPASS,,95,-105.1,{LONG},,B1\n"
        "4,2025-03-01 10:00,TRESPASS,high,nan,-181,,,B1\n"
        "5,2025-03-01 10:00,TRESPASS,5,0,0,,,\n"
        "6,2025-03-01 10:00,TRESPASS, 2 , 40.6 , -105.2 ,,,\n"
    )
    path = write(tmp_path, text)
    report = import_calls(path, load_mapping(mapping), skip_bad=True)
    assert [str(p).replace(path, "FILE") for p in report.problems] == [
        "FILE:3:priority: is 6; a priority is from 1 to 5 (or map it in [priorities])",
        "FILE:3:lon: is blank but latitude is not",
        "FILE:4:lat: is 95; latitude must be from -90 to 90",
        "FILE:4:address: is 301 characters long; at most 300 fit",
        "FILE:5:priority: 'high' is not a priority from 1 to 5",
        "FILE:5:lat: is nan; latitude must be from -90 to 90",
        "FILE:5:lon: is -181; longitude must be from -180 to 180",
    ]
    assert report.skipped == 3
    calls = {c.external_id: c for c in Call.objects.all()}
    assert sorted(calls) == ["p-1", "p-5", "p-6"]
    assert (calls["p-1"].latitude, calls["p-1"].longitude, calls["p-1"].priority) == (
        40.5,
        -105.1,
        1,
    )
    assert calls["p-5"].latitude is None and calls["p-5"].longitude is None  # 0, 0: no location
    assert (calls["p-6"].latitude, calls["p-6"].longitude, calls["p-6"].priority) == (
        40.6,
        -105.2,
        2,
    )
    assert calls["p-1"].caller_name == "Ann" and calls["p-1"].district == "B1"
