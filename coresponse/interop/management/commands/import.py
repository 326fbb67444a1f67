"""`coresponse import DIR`: check and import an exchange bundle (docs/exchange-format.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresponse.interop.bundle import BundleError, DirectorySource, import_bundle


class Command(BaseCommand):
    help = (
        "Import an exchange bundle (a folder of CSV files). Every row is checked first; on any "
        "problem nothing is written and each problem is printed as FILE:LINE:COLUMN: reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the bundle's folder")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (also off when not a TTY)"
        )

    def handle(self, directory, no_progress=False, **options):
        path = Path(directory)
        if not path.is_dir():
            raise CommandError(f"{directory} is not a folder")
        try:
            report = import_bundle(DirectorySource(path), progress=not no_progress)
        except BundleError as error:
            for problem in error.problems:
                self.stderr.write(str(problem), style_func=lambda text: text)
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in {directory}; nothing was imported"
            ) from None
        for name in report.ignored:
            self.stderr.write(f"{name}: ignored, not a bundle file", style_func=self.style.WARNING)
        self.stdout.write(str(report))
