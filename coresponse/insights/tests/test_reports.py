"""The board report read back: the PDF's text (pypdf), the Excel sheets (openpyxl), the CSV."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from pypdf import PdfReader

from coresponse.insights import reports
from coresponse.insights.filters import Filters
from coresponse.insights.tests import data as testdata


@pytest.fixture
def county(db):
    return testdata.county()  # a month of encounters: groups big enough to show


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_holds_the_figures_and_the_sections(county):
    from coresponse.insights.metrics import evaluate

    f = Filters.parse({"from": "2026-10-01", "to": "2026-10-31"})
    m = evaluate(f).metrics
    built = reports.build(f, "pdf")
    assert built.content.startswith(b"%PDF") and built.filename.endswith(".pdf")
    text = pdf_text(built.content)
    assert "Co-responder program report" in text
    assert "In brief" in text and f"{m['responses'].value:,} crisis responses" in text
    assert "October 1, 2026 to October 31, 2026" in text
    assert f"{m['responses'].value:,}" in text
    assert f"{m['arrest_avoided_rate'].value * 100:.0f}%" in text
    numerator, denominator = (
        m["arrest_avoided_rate"].numerator,
        m["arrest_avoided_rate"].denominator,
    )
    assert f"{numerator:,} / {denominator:,}" in text
    for heading in ("Headline figures", "Who the program served", "Cost model",
                    "Evaluation pack", "Every metric"):  # fmt: skip
        assert heading in text, heading
    assert "Colorado" in text and "GAO-13-6" in text


def test_shared_reports_hide_small_numbers(db):
    testdata.build()
    f = Filters(testdata.FIRST, testdata.LAST)
    text = pdf_text(reports.build(f, "pdf").content)
    assert "<11" in text
    rows = list(csv.reader(io.StringIO(reports.build(f, "csv").content.decode())))
    metrics = {r[1]: r for r in rows if r and r[0] == "metrics"}
    assert metrics["arrests"][3] == "<11"  # 1 arrest: hidden
    assert metrics["calls_received"][3] == "6"  # calls are not people
    equity = [r for r in rows if r and r[0] == "equity"]
    assert equity and all("<11" in r for r in equity)


def test_excel_has_a_sheet_per_section(county):
    f = Filters.parse({"from": "2026-10-01", "to": "2026-10-31"})
    book = load_workbook(io.BytesIO(reports.build(f, "xlsx").content))
    assert book.sheetnames == [
        "Metrics",
        "Monthly",
        "Equity",
        "Cost model",
        "Cost parameters",
        "Evaluation pack",
        "About",
    ]
    keys = [row[0].value for row in book["Metrics"].iter_rows(min_row=2)]
    assert "budget_utilization" in keys and "repeat_crisis_30d_rate" in keys


def test_report_command_writes_the_file(county, tmp_path):
    out = tmp_path / "board.pdf"
    stdout = StringIO()
    call_command(
        "report", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out), stdout=stdout
    )
    assert out.read_bytes().startswith(b"%PDF") and "Wrote" in stdout.getvalue()
    assert "October 31, 2026" in pdf_text(out.read_bytes())
    with pytest.raises(CommandError, match="must end in .pdf, .csv or .xlsx"):
        call_command("report", "--out", str(tmp_path / "board.doc"))


def test_report_download_is_audited(county, client):
    from coresponse.privacy.models import AuditEvent

    client.force_login(county.users["manager"])
    response = client.get("/insights/report.xlsx", {"from": "2026-10-01", "to": "2026-10-31"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export", object_type="report").exists()
    assert client.get("/insights/report.doc").status_code == 404
