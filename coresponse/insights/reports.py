"""The board and grant report of one question, as PDF, CSV or Excel.

    build(filters, "pdf" | "csv" | "xlsx", baseline="previous") -> Built(content, type, name)

A shared report: every figure about people passes small-number suppression (cells of fewer
than 11 people are hidden, analysis.suppress). The PDF is drawn by reportlab, charts included as
vector drawings, without a browser; the same numbers go to CSV (one table, a `section` column)
and Excel (one sheet per section) for whoever rebuilds the charts in their own tools.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from coresponse.insights import analysis, catalogue, evaluation
from coresponse.insights.charts import axis as _axis
from coresponse.insights.costs import DEFAULTS
from coresponse.insights.filters import Filters
from coresponse.insights.metrics import cached_evaluate
from coresponse.insights.selectors import change_text, dashboard_groups, formatted, money

MIME = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUPPRESSED = "<11"


@dataclass(frozen=True)
class Built:
    content: bytes
    content_type: str
    filename: str


@dataclass
class Contents:
    """What every format of the report holds."""

    filters: Filters
    title: str
    scope: str
    generated: str
    result: object
    baseline_label: str
    metrics: list[dict]
    monthly: list[dict]
    volume: list[tuple[date, int]]
    equity: list
    pack: dict
    currency: str


def contents(filters: Filters, baseline: str = "previous") -> Contents:
    result = cached_evaluate(filters)
    dates = analysis.baseline_period(filters, baseline)
    base = cached_evaluate(filters.with_period(*dates)) if dates else None
    changes = analysis.compare(result, base) if base else {}
    cis = analysis.intervals(result)
    currency = result.cost.currency if result.cost else "USD"
    rows = []
    for d in catalogue.CATALOGUE:
        m = result.metrics[d.key]
        ci = cis.get(d.key)
        change = changes.get(d.key)
        if _small(d, m):  # a shared report: few people behind the figure
            rows.append(_hidden_row(d))
            continue
        rows.append(
            {
                "key": d.key,
                "label": d.label,
                "value": m.value,
                "shown": formatted(d.key, m, currency),
                "numerator": m.numerator,
                "denominator": m.denominator,
                "ci_low": ci.low if ci else None,
                "ci_high": ci.high if ci else None,
                "baseline": change.baseline.value if change else None,
                "baseline_shown": formatted(d.key, change.baseline, currency) if change else "",
                "change": change_text(change),
                "definition": f"{d.numerator} / {d.denominator}"
                if d.numerator and d.denominator
                else (d.numerator or d.denominator),
            }
        )
    programs = filters.labels.get("program") or "All programs"
    return Contents(
        filters=filters,
        title="Co-responder program report",
        scope=f"{programs} · {filters.first_day:%B %-d, %Y} to {filters.last_day:%B %-d, %Y}",
        generated=timezone.localtime().strftime("%B %-d, %Y %H:%M"),
        result=result,
        baseline_label=(
            f"{dates[0]:%b %-d, %Y} – {dates[1]:%b %-d, %Y}" if dates else "no baseline"
        ),
        metrics=rows,
        monthly=analysis.monthly(filters),
        volume=analysis.monthly_counts(filters),
        equity=[analysis.suppress(copy.deepcopy(t)) for t in dashboard_groups(filters)["equity"]],
        pack=evaluation.pack(filters),
        currency=currency,
    )


# Counts of calls say nothing about people; every other count or numerator does.
NOT_ABOUT_PEOPLE = {"calls_received", "calls_eligible", "budget_utilization"}


def _small(d, m) -> bool:
    if d.key in NOT_ABOUT_PEOPLE or d.unit in (catalogue.MONEY, catalogue.MINUTES, catalogue.HOURS):
        return False
    n = m.value if d.unit == catalogue.COUNT else m.numerator
    return n is not None and 0 < n < analysis.MIN_CELL


def _hidden_row(d) -> dict:
    return {
        "key": d.key,
        "label": d.label,
        "value": SUPPRESSED,
        "shown": SUPPRESSED,
        "numerator": SUPPRESSED,
        "denominator": None,
        "ci_low": None,
        "ci_high": None,
        "baseline": None,
        "baseline_shown": "",
        "change": "",
        "definition": f"{d.numerator} / {d.denominator}"
        if d.numerator and d.denominator
        else (d.numerator or d.denominator),
    }


def build(filters: Filters, fmt: str, baseline: str = "previous") -> Built:
    if fmt not in MIME:
        raise ValueError(f"unknown report format {fmt!r} (pdf, csv or xlsx)")
    c = contents(filters, baseline)
    stem = f"coresponse-report-{filters.first_day}-to-{filters.last_day}"
    content = {"pdf": pdf, "csv": csv_bytes, "xlsx": xlsx}[fmt](c)
    return Built(content, MIME[fmt], f"{stem}.{fmt}")


# --- the tables every format shares -------------------------------------------------------------


def _equity_rows(c: Contents) -> list[list]:
    out = []
    for table in c.equity:
        for g in table.groups:
            row = [table.title, g.label, SUPPRESSED if g.suppressed else g.encounters]
            for key, *_ in analysis.OUTCOMES:
                cell = g.cells[key]
                if cell.suppressed:
                    row += [SUPPRESSED, "", ""]
                else:
                    row += [
                        cell.count,
                        None if cell.rate is None else round(cell.rate, 4),
                        ""
                        if cell.ci is None
                        else f"{cell.ci.low * 100:.1f}–{cell.ci.high * 100:.1f}%",
                    ]
            out.append(row)
    return out


def _equity_header() -> list[str]:
    head = ["breakdown", "group", "encounters"]
    for _, label, *_ in analysis.OUTCOMES:
        head += [label, f"{label} rate", f"{label} 95% CI"]
    return head


def _cost_rows(c: Contents) -> list[list]:
    cost = c.result.cost
    rows = [
        [comp.label, round(comp.events, 1), comp.unit_cost, round(comp.amount, 2), comp.how]
        for comp in cost.components
    ]
    return rows


def _parameter_rows(c: Contents) -> list[list]:
    rows = []
    for program, params in c.result.cost.parameters.items():
        for p in params:
            rows.append(
                [
                    program,
                    p.label,
                    float(p.value),
                    p.unit,
                    "program" if p.local else "default",
                    p.source,
                ]
            )
    return rows


def _pack_rows(c: Contents) -> list[list]:
    return [
        [
            r.published.program,
            r.published.figure,
            r.published_text,
            r.ours_text,
            f"{r.standing} ({r.verdict})" if r.verdict else r.standing,
            r.published.source,
        ]
        for r in c.pack["rows"]
    ]


# --- CSV and Excel ------------------------------------------------------------------------------

METRIC_HEADER = [
    "key",
    "label",
    "value",
    "numerator",
    "denominator",
    "ci_low",
    "ci_high",
    "baseline_value",
    "change",
    "definition",
]


def _metric_cells(r: dict) -> list:
    return [
        r[k]
        for k in (
            "key",
            "label",
            "value",
            "numerator",
            "denominator",
            "ci_low",
            "ci_high",
            "baseline",
            "change",
            "definition",
        )
    ]


def csv_bytes(c: Contents) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", *METRIC_HEADER])
    for r in c.metrics:
        w.writerow(["metrics", *_metric_cells(r)])
    w.writerow([])
    w.writerow(
        [
            "section",
            "month",
            "crisis encounters",
            "without arrest",
            "of",
            "rate",
            "ci_low",
            "ci_high",
        ]
    )
    for (month, n), t in zip(c.volume, c.monthly, strict=True):
        hidden = 0 < n < analysis.MIN_CELL
        w.writerow(
            [
                "monthly",
                month.isoformat(),
                SUPPRESSED if hidden else n,
                SUPPRESSED if hidden else t["numerator"],
                SUPPRESSED if hidden else t["denominator"],
                "" if hidden or t["value"] is None else round(t["value"], 4),
                "" if hidden or t["low"] is None else round(t["low"], 4),
                "" if hidden or t["high"] is None else round(t["high"], 4),
            ]
        )
    w.writerow([])
    w.writerow(["section", *_equity_header()])
    for row in _equity_rows(c):
        w.writerow(["equity", *row])
    w.writerow([])
    w.writerow(["section", "component", "events avoided", "unit cost", "amount", "how"])
    for row in _cost_rows(c):
        w.writerow(["cost", *row])
    w.writerow([])
    w.writerow(
        ["section", "program", "published figure", "published", "here", "standing", "source"]
    )
    for row in _pack_rows(c):
        w.writerow(["evaluation", *row])
    return out.getvalue().encode("utf-8")


def xlsx(c: Contents) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [
        ("Metrics", METRIC_HEADER, [_metric_cells(r) for r in c.metrics]),
        (
            "Monthly",
            ["month", "crisis encounters", "without arrest", "rate", "ci_low", "ci_high"],
            [
                [m, SUPPRESSED if 0 < n < analysis.MIN_CELL else n]
                + (
                    ["", "", "", ""]
                    if 0 < n < analysis.MIN_CELL
                    else [t["numerator"], t["value"], t["low"], t["high"]]
                )
                for (m, n), t in zip(c.volume, c.monthly, strict=True)
            ],
        ),
        ("Equity", _equity_header(), _equity_rows(c)),
        (
            "Cost model",
            ["component", "events avoided", "unit cost", "amount", "how"],
            _cost_rows(c),
        ),
        (
            "Cost parameters",
            ["program", "parameter", "value", "unit", "whose", "source"],
            _parameter_rows(c),
        ),
        (
            "Evaluation pack",
            ["program", "published figure", "published", "here", "standing", "source"],
            _pack_rows(c),
        ),
    ]
    first = True
    for title, header, rows in sheets:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    info = book.create_sheet("About")
    for line in (
        [c.title],
        [c.scope],
        [f"Generated {c.generated}; baseline {c.baseline_label}"],
        [
            "Rates are fractions 0..1; durations in minutes; money in "
            + (c.currency or "mixed currencies")
        ],
        [f"Cells of fewer than {analysis.MIN_CELL} people are shown as {SUPPRESSED}."],
        ["Definitions: docs/metrics.md"],
    ):
        info.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------------


def _month_labels(d, months, left, bottom, slot):
    from reportlab.graphics.shapes import String

    n = max(len(months), 1)
    for i, month in enumerate(months):
        if i % max(1, n // 6) == 0:
            d.add(
                String(
                    left + i * slot + slot / 2,
                    bottom - 12,
                    month.strftime("%b %y"),
                    fontSize=7,
                    textAnchor="middle",
                )
            )


def _bars_drawing(volume, width=480, height=130):
    """Crisis encounters per month (months of 1-10 encounters hidden)."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    left, bottom, plot_w, plot_h = 40, 22, width - 60, height - 40
    slot = plot_w / max(len(volume), 1)
    top = max((v for _, v in volume), default=0) or 1
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.HexColor("#7b8a94")))
    for i, (_, count) in enumerate(volume):
        h = 0 if 0 < count < analysis.MIN_CELL else plot_h * count / top
        d.add(
            Rect(
                left + i * slot + 2,
                bottom,
                max(slot - 4, 1),
                h,
                fillColor=colors.HexColor("#0b6b70"),
                strokeColor=None,
            )
        )
    _month_labels(d, [m for m, _ in volume], left, bottom, slot)
    d.add(String(left - 4, bottom + plot_h - 3, f"{top:,}", fontSize=7, textAnchor="end"))
    d.add(String(left - 4, bottom, "0", fontSize=7, textAnchor="end"))
    d.add(String(left, height - 10, "Crisis encounters per month", fontSize=8))
    return d


def _line_drawing(monthly, width=480, height=130):
    """The share without arrest per month, its 95% interval as a band."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    left, bottom, plot_w, plot_h = 40, 22, width - 60, height - 40
    slot = plot_w / max(len(monthly), 1)
    shown = [t for t in monthly if t["value"] is not None and t["denominator"] >= analysis.MIN_CELL]
    low, high = _axis(
        min((t["low"] for t in shown), default=0.0), max((t["high"] for t in shown), default=1.0)
    )

    def y_of(share):
        return bottom + plot_h * (min(max(share, low), high) - low) / (high - low)

    for share in (low, (low + high) / 2, high):
        d.add(
            Line(
                left,
                y_of(share),
                left + plot_w,
                y_of(share),
                strokeColor=colors.HexColor("#dde3e7"),
            )
        )
        d.add(String(left - 4, y_of(share) - 2, f"{share:.0%}", fontSize=7, textAnchor="end"))
    points = [
        (left + i * slot + slot / 2, t)
        for i, t in enumerate(monthly)
        if t["value"] is not None and t["denominator"] >= analysis.MIN_CELL
    ]
    if points:
        upper = [(x, y_of(t["high"])) for x, t in points]
        lower = [(x, y_of(t["low"])) for x, t in reversed(points)]
        d.add(
            Polygon(
                [c for xy in upper + lower for c in xy],
                fillColor=colors.HexColor("#f2b35b"),
                fillOpacity=0.45,
                strokeColor=None,
            )
        )
        d.add(
            PolyLine(
                [c for x, t in points for c in (x, y_of(t["value"]))],
                strokeColor=colors.HexColor("#0f2a3d"),
                strokeWidth=1.5,
            )
        )
    _month_labels(d, [t["label"] for t in monthly], left, bottom, slot)
    d.add(
        String(
            left, height - 10, "Share without arrest per month, with its 95% interval", fontSize=8
        )
    )
    return d


def pdf(c: Contents) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=7.5, leading=9.5)
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=12)
    h2 = ParagraphStyle(
        "h2", parent=styles["Heading2"], textColor=colors.HexColor("#0f2a3d"), keepWithNext=1
    )
    h3 = ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", keepWithNext=1)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f3f3")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dde3e7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def table(header, rows, widths=None):
        cells = [[Paragraph(str(h), small) for h in header]]
        cells += [[Paragraph("" if v is None else str(v), small) for v in row] for row in rows]
        t = Table(cells, colWidths=widths, repeatRows=1)
        t.setStyle(grid)
        return t

    story = [
        Paragraph(c.title, styles["Title"]),
        Paragraph(c.scope, body),
        Paragraph(
            f"Generated {c.generated}. Compared with {c.baseline_label}. Rates are shown with "
            f"their numerator and denominator; cells of fewer than {analysis.MIN_CELL} people "
            f"are hidden ({SUPPRESSED}).",
            small,
        ),
        Spacer(1, 6),
        Paragraph("In brief", h2),
        *(Paragraph(sentence, body) for sentence in summary(c)),
        Spacer(1, 6),
        Paragraph("Headline figures", h2),
    ]
    headline = [r for r in c.metrics if r["key"] in HEADLINE]
    story.append(
        table(
            ["Metric", "Value", "Numerator / denominator", "95% CI", "Baseline", "Change"],
            [
                [
                    r["label"],
                    r["shown"],
                    _numden(r),
                    _ci(r),
                    r["baseline_shown"],
                    r["change"],
                ]
                for r in headline
            ],
            [1.5 * inch, 0.7 * inch, 1.3 * inch, 1.0 * inch, 0.7 * inch, 2.0 * inch],
        )
    )
    story += [
        Spacer(1, 10),
        _bars_drawing(c.volume),
        _line_drawing(c.monthly),
        Spacer(1, 6),
    ]
    story += [Paragraph("Who the program served: outcomes by group", h2)]
    for t in c.equity:
        header = ["Group", "Encounters"] + [label for _, label, *_ in analysis.OUTCOMES]
        rows = []
        for g in t.groups:
            row = [g.label, SUPPRESSED if g.suppressed else f"{g.encounters:,}"]
            for key, *_ in analysis.OUTCOMES:
                cell = g.cells[key]
                row.append(
                    SUPPRESSED
                    if cell.suppressed
                    else f"{cell.count:,} ({cell.rate * 100:.1f}%)"
                    if cell.rate is not None
                    else "—"
                )
            rows.append(row)
        story += [Paragraph(t.title, h3), table(header, rows), Spacer(1, 6)]
    cost = c.result.cost
    story += [
        Paragraph("Cost model", h2),
        Paragraph(
            f"Cost avoided: <b>{money(cost.cost_avoided, c.currency)}</b> "
            f"(counterfactual: a police-only response; assumptions below). Budget used: "
            f"{formatted('budget_utilization', c.result.metrics['budget_utilization'])} "
            f"({money(cost.expenditure, c.currency)} of {money(cost.budget, c.currency)}).",
            body,
        ),
        table(
            ["Component", "Avoided", "Unit cost", "Amount", "How"],
            [
                [r[0], f"{r[1]:,.1f}", money(r[2], c.currency), money(r[3], c.currency), r[4]]
                for r in _cost_rows(c)
            ],
            [1.6 * inch, 0.7 * inch, 0.7 * inch, 0.8 * inch, 3.4 * inch],
        ),
        Spacer(1, 4),
        table(
            ["Program", "Parameter", "Value", "Whose", "Source"],
            [[r[0], r[1], f"{r[2]:g} {r[3]}", r[4], r[5]] for r in _parameter_rows(c)],
            [1.2 * inch, 1.4 * inch, 1.1 * inch, 0.6 * inch, 2.9 * inch],
        ),
        Paragraph("Evaluation pack: this program beside the field's published figures", h2),
        table(
            ["Program", "Published figure", "Published", "Here", "", "Source"],
            _pack_rows(c),
            [1.2 * inch, 1.7 * inch, 0.6 * inch, 0.6 * inch, 0.6 * inch, 2.5 * inch],
        ),
        Paragraph("Every metric", h2),
        table(
            ["Key", "Value", "Numerator / denominator", "Definition"],
            [[r["key"], r["shown"], _numden(r), r["definition"]] for r in c.metrics],
            [1.8 * inch, 0.8 * inch, 1.2 * inch, 3.4 * inch],
        ),
        Spacer(1, 6),
        Paragraph(
            "Definitions and the cost model's sources: docs/metrics.md. Default unit costs: "
            + "; ".join(
                f"{d.label} {d.value:g}"
                for k, d in DEFAULTS.items()
                if k
                in (
                    "jail_booking",
                    "er_visit",
                    "inpatient_day",
                    "ambulance_transport",
                    "officer_hour",
                )
            )
            + ".",
            small,
        ),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=letter,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
        title=c.title,
        subject=c.scope,
        author="Coresponse",
    )
    doc.build(story)
    return out.getvalue()


HEADLINE = (
    "calls_received",
    "responses",
    "persons_served",
    "arrest_avoided_rate",
    "service_rate",
    "resolved_on_scene_rate",
    "er_transport_rate",
    "involuntary_hold_rate",
    "use_of_force_rate",
    "followup_connection_rate",
    "referral_completion_rate",
    "repeat_crisis_30d_rate",
    "response_time_median_min",
    "officer_hours_saved",
    "cost_avoided",
    "budget_utilization",
)


def summary(c: Contents) -> list[str]:
    """The report's findings in a few sentences, for a board that reads only the first page:
    the same (suppressed) figures as the tables, with their change against the baseline."""
    rows = {r["key"]: r for r in c.metrics}

    def said(key: str, text: str) -> str:
        r = rows[key]
        if r["shown"] in (SUPPRESSED, "—"):
            return ""
        change = f" ({r['change']} vs. {c.baseline_label})" if r["change"] else ""
        return text.format(shown=r["shown"]) + change

    people = rows["persons_served"]["shown"]
    out = [
        f"{rows['responses']['shown']} crisis responses"
        + (f" for {people} people" if people not in (SUPPRESSED, "—") else "")
        + f" out of {rows['calls_received']['shown']} calls received.",
    ]
    for key, text in (
        ("arrest_avoided_rate", "{shown} of crisis encounters ended without an arrest"),
        ("service_rate", "{shown} received a service on scene"),
        ("er_transport_rate", "{shown} were transported to an emergency room"),
        ("involuntary_hold_rate", "{shown} ended in an involuntary hold"),
        ("followup_connection_rate", "{shown} of completed follow-ups connected to care"),
    ):
        sentence = said(key, text)
        if sentence:
            out.append(sentence + ".")
    money_parts = []
    if rows["cost_avoided"]["shown"] not in (SUPPRESSED, "—"):
        money_parts.append(
            f"Modelled cost avoided against a police-only response: {rows['cost_avoided']['shown']}"
        )
    budget = rows["budget_utilization"]
    if budget["shown"] not in (SUPPRESSED, "—") and budget["denominator"]:
        money_parts.append(
            f"budget used: {budget['shown']} ({money(budget['numerator'], c.currency)} of "
            f"{money(budget['denominator'], c.currency)})"
        )
    if money_parts:
        out.append("; ".join(money_parts) + ".")
    out.append(
        "A change is called better or worse only when its 95% interval excludes zero; a "
        "smaller change may be chance."
    )
    return out


def _numden(r: dict) -> str:
    if r["numerator"] is None and r["denominator"] is None:
        return ""
    if r["numerator"] == SUPPRESSED:
        return SUPPRESSED
    n = "" if r["numerator"] is None else f"{r['numerator']:,.0f}"
    d = "" if r["denominator"] is None else f"{r['denominator']:,.0f}"
    return f"{n} / {d}" if n and d else (n or f"n = {d}")


def _ci(r: dict) -> str:
    if r["ci_low"] is None:
        return ""
    if catalogue.definition(r["key"]).unit == catalogue.RATE:
        return f"{r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%"
    return f"{r['ci_low']:.1f}–{r['ci_high']:.1f}"
