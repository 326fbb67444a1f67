"""The public transparency page: what the programs did, for anyone, without a sign-in.

Aggregates only, over every program (or one), for the last twelve months of data by default.
Every figure about people passes small-number suppression (analysis.suppress): a cell of fewer
than 11 people, or an outcome of 1 to 10 people, shows "fewer than 11" instead of a number.
The page is cached until the facts are next rebuilt, so a crawler cannot load the database.
"""

from __future__ import annotations

from datetime import timedelta

from coresponse.agencies.models import Program
from coresponse.dispatch.selectors import as_of
from coresponse.insights import analysis, charts, facts
from coresponse.insights.filters import FilterError, Filters
from coresponse.insights.memo import remember
from coresponse.insights.metrics import cached_evaluate
from coresponse.insights.selectors import money, pct

PUBLIC_DIMENSIONS = (
    ("race_ethnicity", "Race and ethnicity"),
    ("sex", "Sex"),
    ("age_band", "Age"),
)


def _filters(params) -> Filters:
    today = as_of().today
    year = (params.get("year") or "").strip()
    program = (params.get("program") or "").strip()
    values = {"program": program}
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= today.year:
            raise FilterError("year", f"{year!r} is not a year with data")
        values["from"], values["to"] = f"{year}-01-01", min(f"{year}-12-31", today.isoformat())
    else:
        values["from"] = (today - timedelta(days=364)).isoformat()
        values["to"] = today.isoformat()
    return Filters.parse(values)


def page(params) -> dict:
    filters = _filters(params)
    facts.ensure_fresh()
    return remember(("public", sorted(filters.query().items())), lambda: _build(filters))


def _headline(result, overall) -> list[dict]:
    """The public figures; a figure about fewer than 11 people is withheld."""
    m = result.metrics
    group = overall.groups[0] if overall.groups else None
    out = [
        {"label": "Calls received", "value": f"{m['calls_received'].value:,}", "detail": ""},
        {"label": "Crisis responses", "value": f"{m['responses'].value:,}", "detail": ""},
    ]
    people = m["persons_served"].value
    out.append(
        {
            "label": "People served",
            "value": f"{people:,}" if people >= analysis.MIN_CELL else "fewer than 11",
            "detail": "each person once",
            "hidden": people < analysis.MIN_CELL,
        }
    )

    def share(label, key, outcome, invert=False):
        metric = m[key]
        cell = group.cells[outcome] if group else None
        hidden = group is None or group.suppressed or (cell and cell.suppressed)
        value = "fewer than 11 people" if hidden else pct(metric.value)
        detail = "" if hidden else f"{metric.numerator:,} of {metric.denominator:,} responses"
        out.append({"label": label, "value": value, "detail": detail, "hidden": bool(hidden)})

    share("Ended without arrest", "arrest_avoided_rate", "arrest", invert=True)
    share("Received a service", "service_rate", "service")
    share("Taken to an emergency room", "er_transport_rate", "er_transport")
    share("Involuntary hold", "involuntary_hold_rate", "involuntary_hold")
    share("Force used", "use_of_force_rate", "use_of_force")
    median = m["response_time_median_min"].value
    out.append(
        {
            "label": "Median response time",
            "value": "—" if median is None else f"{median:.0f} min",
            "detail": "from the call to the team on scene",
        }
    )
    return out


def _build(filters: Filters) -> dict:
    result = cached_evaluate(filters)
    overall = analysis.suppress(analysis.breakdown(filters, "all", "All"))
    equity = [
        analysis.suppress(analysis.breakdown(filters, dim, title))
        for dim, title in PUBLIC_DIMENSIONS
    ]
    volume = analysis.monthly_counts(filters)
    months = []
    for label, count in volume:
        months.append((label, count if count >= analysis.MIN_CELL or count == 0 else None))
    chart = charts.bar_chart([(label, count or 0) for label, count in months])
    currency = result.cost.currency if result.cost else "USD"
    budget = result.metrics["budget_utilization"]
    return {
        "filters": filters,
        "headline": _headline(result, overall),
        "equity": equity,
        "outcomes": analysis.OUTCOMES,
        "months": months,
        "chart": chart,
        "spent": money(budget.numerator, currency) if budget.numerator is not None else "—",
        "budget": money(budget.denominator, currency) if budget.denominator else "",
        "budget_used": pct(budget.value),
        "cost_avoided": money(result.metrics["cost_avoided"].value, currency),
        "programs": list(Program.objects.order_by("name")),
        "program": filters.labels.get("program", ""),
        "min_cell": analysis.MIN_CELL,
        "refreshed_at": result.refreshed_at,
    }
