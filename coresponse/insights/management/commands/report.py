"""`coresponse report --from --to --program --out FILE.pdf`: the board report, as PDF, CSV or
Excel by the file's extension (small numbers hidden, as in every shared report)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresponse.insights import facts, reports
from coresponse.insights.management.commands.metrics import add_filter_arguments, filters_from


class Command(BaseCommand):
    help = "Write the board/grant report of a period: FILE.pdf, FILE.csv or FILE.xlsx."

    def add_arguments(self, parser):
        add_filter_arguments(parser)
        parser.add_argument("--out", required=True, help="the file to write (.pdf, .csv, .xlsx)")
        parser.add_argument(
            "--baseline",
            choices=["previous", "last_year", "none"],
            default="previous",
            help="compare with the period just before (default), the same dates a year "
            "earlier, or nothing",
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in reports.MIME:
            raise CommandError(f"--out: {out.name} must end in .pdf, .csv or .xlsx")
        filters = filters_from(options)
        facts.ensure_fresh(wait_seconds=float("inf"))
        built = reports.build(filters, fmt, baseline=options["baseline"])
        out.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(built.content)
            os.replace(temporary, out)
        except BaseException:
            os.unlink(temporary)
            raise
        self.stdout.write(f"Wrote {out} ({len(built.content):,} bytes)")
