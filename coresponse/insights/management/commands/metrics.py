"""`coresponse metrics --from 2025-01-01 --to 2025-12-31 [--program ID] --format json|csv|table`:
every catalogue metric with its numerator and denominator (docs/metrics.md)."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from coresponse.insights import catalogue
from coresponse.insights.filters import FilterError, Filters
from coresponse.insights.metrics import evaluate

FILTER_OPTIONS = (
    ("--from", "from", "first day, YYYY-MM-DD (inclusive, local time)"),
    ("--to", "to", "last day, YYYY-MM-DD (inclusive, local time)"),
    ("--program", "program", "a program's id or external id (default: every program)"),
    ("--team", "team", "a team's id"),
    ("--agency", "agency", "the id of the agency holding the person records"),
    ("--source", "source", "call source: 911, 988, non_emergency, officer_initiated, ..."),
    ("--district", "district", "a district name as the calls record it"),
    ("--race-ethnicity", "race_ethnicity", "a race/ethnicity code, or not_recorded"),
    ("--sex", "sex", "female, male, intersex, unknown or not_recorded"),
    ("--age-band", "age_band", "0-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ or not_recorded"),
)


def add_filter_arguments(parser) -> None:
    for flag, dest, text in FILTER_OPTIONS:
        parser.add_argument(flag, dest=dest, help=text)


def filters_from(options) -> Filters:
    params = {dest: options.get(dest) for _, dest, _ in FILTER_OPTIONS if options.get(dest)}
    try:
        return Filters.parse(params)
    except FilterError as error:
        raise CommandError(f"--{error.field.replace('_', '-')}: {error.message}") from None


class Command(BaseCommand):
    help = "Print every catalogue metric (value, numerator, denominator) for a period."

    def add_arguments(self, parser):
        add_filter_arguments(parser)
        parser.add_argument("--format", choices=["json", "csv", "table"], default="json")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="rebuild the fact tables first even if no record was added (counts edits "
            "made since the last rebuild)",
        )

    def handle(self, *args, **options):
        filters = filters_from(options)
        result = evaluate(filters, fresh="force" if options["refresh"] else "wait")
        data = result.as_json()
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(json.dumps(data, indent=2))
        elif fmt == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(["key", "value", "numerator", "denominator"])
            for key, m in data["metrics"].items():
                writer.writerow(
                    [key, _cell(m["value"]), _cell(m["numerator"]), _cell(m["denominator"])]
                )
        else:
            self._table(data, result)

    def _table(self, data, result):
        period = data["period"]
        scope = result.filters.labels.get("program", "every program")
        self.stdout.write(f"{scope}, {period['from']} to {period['to']}")
        rows = [("metric", "value", "numerator", "denominator", "unit")]
        for key, m in data["metrics"].items():
            d = catalogue.definition(key)
            rows.append(
                (
                    key,
                    _shown(m["value"], d.unit),
                    _cell(m["numerator"]),
                    _cell(m["denominator"]),
                    d.unit,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for i, row in enumerate(rows):
            line = "  ".join(
                cell.ljust(w) if j in (0, 4) else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            self.stdout.write(line.rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value)) if isinstance(value, float) else str(value)


def _shown(value, unit: str) -> str:
    if value is None:
        return "null"
    if unit == catalogue.RATE:
        return f"{value:.4f}"
    if unit in (catalogue.MINUTES, catalogue.HOURS):
        return f"{value:.1f}"
    if unit == catalogue.MONEY:
        return f"{value:,.2f}"
    return f"{value:,}"
