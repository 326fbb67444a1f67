"""`coresponse import-calls FILE.csv --mapping MAP.toml`: calls from a city's CAD export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresponse.agencies.models import Program
from coresponse.interop.cad import CadImportError, MappingError, import_calls, load_mapping


class Command(BaseCommand):
    help = (
        "Import calls for service from a CAD or open-data export, read through a mapping "
        "(docs/cad-import.md; examples in docs/cad-mappings/). Every row is checked first; a bad "
        "row is printed as FILE:LINE:COLUMN: reason and, without --skip-bad, nothing is written. "
        "Imported calls are flagged for frequent callers and triaged."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the export (CSV)")
        parser.add_argument("--mapping", required=True, metavar="MAP.toml", help="its mapping")
        parser.add_argument(
            "--program", metavar="ID", help="the program the calls belong to (its external id)"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows and report the bad ones"
        )
        parser.add_argument(
            "--no-triage", action="store_true", help="import without triaging the calls"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (also off when not a TTY)"
        )

    def handle(self, file, mapping, program=None, skip_bad=False, no_triage=False, **options):
        if not Path(file).is_file():
            raise CommandError(f"{file}: no such file")
        try:
            loaded = load_mapping(mapping)
        except MappingError as error:
            self._lines(error.problems)
            raise CommandError(
                f"the mapping {mapping} cannot be used; nothing was imported"
            ) from None
        chosen = None
        if program:
            chosen = Program.objects.filter(external_id=program).first()
            if chosen is None:
                known = ", ".join(Program.objects.values_list("external_id", flat=True)[:20])
                raise CommandError(f"--program {program!r}: no such program (known: {known})")
        try:
            report = import_calls(
                file,
                loaded,
                program=chosen,
                skip_bad=skip_bad,
                triage=not no_triage,
                progress=not options["no_progress"],
            )
        except CadImportError as error:
            self._lines(error.problems)
            count = len(error.problems)
            message = (
                f"{count:,} problem{'s' if count != 1 else ''} in {file}; nothing was imported"
            )
            if not (error.checked and error.checked.fatal):
                message += " (--skip-bad imports the good rows)"
            raise CommandError(message) from None
        self._lines(report.problems)
        for line in report.summary():
            self.stdout.write(line)

    def _lines(self, problems):
        for problem in problems:
            self.stderr.write(str(problem), style_func=lambda text: text)
