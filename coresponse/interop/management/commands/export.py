"""`coresponse export DIR`: write the database as an exchange bundle (docs/exchange-format.md)."""

from django.core.management.base import BaseCommand

from coresponse.interop.bundle import export_bundle


class Command(BaseCommand):
    help = (
        "Export the database as an exchange bundle: all eight CSV files, rows ordered by "
        "external id, timestamps in the configured time zone. Existing files are replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the folder to write (created when missing)")

    def handle(self, directory, **options):
        counts = export_bundle(directory)
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(f"Exported to {directory} — {summary}")
