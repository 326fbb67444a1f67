"""`coresponse import-resources FILE.csv`: the resource directory from a CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresponse.care.services import upsert_resources
from coresponse.interop import resources


class Command(BaseCommand):
    help = (
        "Import the resource directory (services people are referred to) from a CSV file "
        "(docs/care.md). Every row is checked first; each problem is printed as "
        "FILE:LINE:COLUMN: reason and then nothing is written. Rows are matched by resource_id: "
        "importing again updates in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the directory (CSV, UTF-8)")

    def handle(self, file, **options):
        if not Path(file).is_file():
            raise CommandError(f"{file}: no such file")
        checked = resources.check(file)
        if checked.problems:
            for problem in checked.problems:
                self.stderr.write(str(problem), style_func=lambda text: text)
            count = len(checked.problems)
            raise CommandError(
                f"{count:,} problem{'s' if count != 1 else ''} in {file}; nothing was imported"
            )
        created, updated = upsert_resources(checked.rows, source=file)
        self.stdout.write(
            f"Imported {len(checked.rows):,} directory entries from {file}: "
            f"{created:,} new, {updated:,} updated."
        )
