"""A large export is checked in two processes (interop.cad.reader): whatever the file holds, the
rows, their lines and every problem must be exactly what one pass finds."""

# The CSV texts are kept verbatim, as a CAD system would write them.
# ruff: noqa: E501

import pytest

from coresponse.dispatch.models import Call
from coresponse.interop.cad import CadImportError, import_calls, load_mapping, reader

from .test_cad_errors import HEADER, MAPPING

GOOD = '{n},03/{day:02d}/2025 {hour:02d}:15:00 PM,SERVICE - WELFARE CHECK,2,911,{n} Main St,"POINT (-105.08 40.58)","RP says ""not himself"",\npacing outside",(970) 555-{phone:04d}\n'


def rows(first: int, count: int) -> str:
    return "".join(
        GOOD.format(n=f"E{n}", day=1 + n % 28, hour=1 + n % 12, phone=n % 50)
        for n in range(first, first + count)
    )


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "test.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def both(tmp_path, mapping, text: str, monkeypatch, *, crlf=False):
    """check() in one pass and in two; asserts the two passes were made."""
    if crlf:
        text = text.replace("\n", "\r\n")
    path = tmp_path / "calls.csv"
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(reader, "TWO_PASS_MIN_CHARS", 10**12)
    one = reader.check(path, mapping)
    monkeypatch.setattr(reader, "TWO_PASS_MIN_CHARS", 0)
    halves = []
    real = reader._check_halves

    def spy(*args):
        halves.append(real(*args))
        return halves[-1]

    monkeypatch.setattr(reader, "_check_halves", spy)
    two = reader.check(path, mapping)
    return one, two, halves


def same(one, two) -> None:
    assert two.fields == one.fields
    assert two.rows == one.rows
    assert [row[1].tzinfo for row in two.rows] == [row[1].tzinfo for row in one.rows]
    assert two.lines == one.lines
    assert [str(p) for p in two.problems] == [str(p) for p in one.problems]
    assert (two.bad_rows, two.fatal, two.call_types) == (one.bad_rows, one.fatal, one.call_types)


def test_good_rows_with_quoted_line_breaks_split_anywhere(tmp_path, mapping, monkeypatch):
    for crlf in (False, True):
        one, two, halves = both(
            tmp_path, mapping, HEADER + "\n" + rows(1, 301), monkeypatch, crlf=crlf
        )
        assert halves and halves[0] is not None  # really read in two halves
        assert len(one.rows) == 301 and not one.problems
        assert one.lines[-1] == 2 + 300 * 2  # each row spans two physical lines
        same(one, two)


def test_every_problem_in_either_half_is_reported_once_at_its_line(tmp_path, mapping, monkeypatch):
    text = (
        HEADER
        + "\n"
        + rows(1, 100)
        # bad rows in the first half, one of whose ids comes back in the second half
        + "B1,31/31/2025 10:00:00 PM,SERVICE - WELFARE CHECK,2,911,,,,\n"
        + "B2,03/04/2025 10:00:00 PM,,9,CAR,,POINT (500 500),,555\n"
        + "E1,03/04/2025 10:00:00 PM,WELFARE,2,911,x,,,\n"  # repeats a call of the first half
        + "\n,,,,,,,,\n"
        + "short,row\n"
        + rows(101, 100)
        + "E150,03/04/2025 10:00:00 PM,WELFARE,2,911,,,,\n"  # repeats one line of the second half
        + "B1,03/04/2025 10:00:00 PM,WELFARE,2,911,,,,\n"  # a bad row's id again
        + "E3,03/04/2025 10:00:00 PM,WELFARE,2,911,,,,\n"  # again, far from the first
        + f"L1,03/04/2025 10:00:00 PM,WELFARE,2,911,{'x' * 301},,,\n"
        + f"E4,03/04/2025 10:00:00 PM,WELFARE,2,911,{'y' * 302},,,\n"  # a repeat, and too long
        + "L1,03/04/2025 10:00:00 PM,WELFARE,2,911,,,,\n"  # repeats the too-long row
        + rows(201, 100)
    )
    one, two, halves = both(tmp_path, mapping, text, monkeypatch)
    assert halves[0] is not None
    reasons = [str(p) for p in one.problems]
    assert any("repeats call 'E1' (first on line 2)" in r for r in reasons)
    assert any("repeats call 'B1'" in r for r in reasons)
    assert any("repeats call 'E3' (first on line 6)" in r for r in reasons)
    assert any("at most 300 fit" in r for r in reasons)
    assert any("has 2 values" in r for r in reasons)
    # A row that repeats a call is reported as a repeat only, wherever it is checked; a row
    # too long still counts as seen.
    assert any("repeats call 'E4'" in r for r in reasons)
    assert not any("is 302 characters long" in r for r in reasons)
    assert any("repeats call 'L1'" in r for r in reasons)
    same(one, two)


def test_a_stray_quote_before_the_split_falls_back_to_one_pass(tmp_path, mapping, monkeypatch):
    # A quote inside an unquoted cell is a literal character: the count of quotes is then odd
    # wherever the split falls, so the two passes cannot be proved and one pass is made.
    text = HEADER + "\n" + 'E0,03/04/2025 10:00:00 PM,WELFARE,2,911,12" pipe,,,\n' + rows(1, 300)
    one, two, halves = both(tmp_path, mapping, text, monkeypatch)
    assert not one.problems and len(one.rows) == 301
    same(one, two)


def test_broken_csv_in_either_half_is_reported_as_one_pass_does(tmp_path, mapping, monkeypatch):
    for broken in (
        HEADER + "\n" + rows(1, 50) + 'X1,03/04/2025 10:00:00 PM,"open\n' + rows(51, 300),
        HEADER + "\n" + rows(1, 300) + 'X1,03/04/2025 10:00:00 PM,"a"b,2,911,,,,\n' + rows(301, 20),
    ):
        one, two, _ = both(tmp_path, mapping, broken, monkeypatch)
        assert one.fatal and any("is not valid CSV" in str(p) for p in one.problems)
        same(one, two)


def test_a_bad_header_is_reported_as_one_pass_does(tmp_path, mapping, monkeypatch):
    one, two, _ = both(
        tmp_path, mapping, HEADER.replace("Type", "Kind") + "\n" + rows(1, 300), monkeypatch
    )
    assert one.fatal and "column is missing" in str(one.problems[0])
    same(one, two)


@pytest.mark.django_db
def test_an_import_read_in_two_halves_stores_every_call(tmp_path, mapping, monkeypatch):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "\n" + rows(1, 400), encoding="utf-8")
    monkeypatch.setattr(reader, "TWO_PASS_MIN_CHARS", 0)
    report = import_calls(path, mapping)
    assert report.imported == report.created == report.triaged == 400
    assert Call.objects.count() == 400
    call = Call.objects.get(external_id="t-E399")
    assert call.narrative == 'RP says "not himself",\npacing outside'
    assert call.caller_phone == "9705550049"
    assert call.triage.fired and call.triage.explanation


def _stored_calls() -> list[tuple]:
    return sorted(
        Call.objects.values_list(
            "external_id",
            "received_at",
            "call_type",
            "priority",
            "source",
            "address",
            "latitude",
            "longitude",
            "narrative",
            "caller_phone",
            "frequent_caller",
            "triage__recommendation",
            "triage__reason__fired",
            "triage__reason__explanation",
        )
    )


@pytest.mark.django_db
def test_two_passes_store_what_one_pass_stores(tmp_path, mapping, monkeypatch):
    # Flags, triage (by the keys taken on PostgreSQL) and re-import, read either way.
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "\n" + rows(1, 400), encoding="utf-8")
    stored = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(reader, "TWO_PASS_MIN_CHARS", threshold)
        Call.objects.all().delete()
        first = import_calls(path, mapping)
        again = import_calls(path, mapping)
        assert (first.created, again.created, again.updated) == (400, 0, 400)
        assert first.frequent == again.frequent > 0
        stored.append(_stored_calls())
    assert stored[0] == stored[1]
    assert sum(row[10] for row in stored[1]) == first.frequent


@pytest.mark.django_db
def test_a_bad_row_in_the_second_half_leaves_nothing_written(tmp_path, mapping, monkeypatch):
    path = tmp_path / "calls.csv"
    bad = "B1,31/31/2025 10:00:00 PM,SERVICE - WELFARE CHECK,2,911,,,,\n"
    path.write_text(HEADER + "\n" + rows(1, 300) + bad + rows(301, 20), encoding="utf-8")
    monkeypatch.setattr(reader, "TWO_PASS_MIN_CHARS", 0)
    with pytest.raises(CadImportError) as refused:
        import_calls(path, mapping)
    assert [p.column for p in refused.value.problems] == ["Received"]
    assert not Call.objects.exists()
    report = import_calls(path, mapping, skip_bad=True)
    assert (report.imported, report.skipped) == (320, 1)
    assert Call.objects.count() == 320 and Call.objects.filter(triage__isnull=True).count() == 0
