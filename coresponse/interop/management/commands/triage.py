"""`coresponse triage FILE.csv --mapping MAP.toml --protocol P`: what a protocol would have done
with a city's calls, overall, by call type and by hour of week. Nothing is written."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coresponse.dispatch.triage.engine import ProtocolError
from coresponse.interop.cad import MappingError, check, load_mapping
from coresponse.interop.cad import shares as share_table


class Command(BaseCommand):
    help = (
        "Re-run a triage protocol over a CAD export (read through a mapping, as import-calls "
        "reads it) without writing anything, and print the share of calls per recommendation "
        "overall, by call type and by hour of week (Mon 00 to Sun 23, the export's local time)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the export (CSV)")
        parser.add_argument("--mapping", required=True, metavar="MAP.toml", help="its mapping")
        parser.add_argument(
            "--protocol",
            required=True,
            metavar="P",
            help="a protocol file (.toml, .json), a protocol id in the database, "
            "or an example: star, cahoots, ride-along, on-call, default",
        )
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument(
            "--top", type=int, default=30, help="call types in the table (0: all); default 30"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="leave bad rows out instead of stopping"
        )

    def handle(self, file, mapping, protocol, format, top, skip_bad, **options):
        if not Path(file).is_file():
            raise CommandError(f"{file}: no such file")
        try:
            loaded = load_mapping(mapping)
        except MappingError as error:
            self._lines(error.problems)
            raise CommandError(f"the mapping {mapping} cannot be used") from None
        try:
            choice = share_table.resolve_protocol(protocol, loaded.zone)
        except LookupError as error:
            raise CommandError(str(error)) from None
        except ProtocolError as error:
            self._lines(error.problems)
            raise CommandError(f"the protocol {protocol} cannot be compiled") from None
        checked = check(file, loaded)
        if checked.problems:
            self._lines(checked.problems)
            if checked.fatal or not skip_bad:
                count = len(checked.problems)
                raise CommandError(
                    f"{count:,} problem{'s' if count != 1 else ''} in {file}"
                    + ("" if checked.fatal else " (--skip-bad leaves the bad rows out)")
                )
        shares = share_table.compute(checked, choice)
        render = {
            "table": lambda s: share_table.as_table(s, top),
            "csv": share_table.as_csv,
            "json": share_table.as_json,
        }[format]
        self.stdout.write(render(shares), ending="")

    def _lines(self, problems):
        for problem in problems:
            self.stderr.write(str(problem), style_func=lambda text: text)
