"""`coresponse seed --scenario county --seed 42`: load the synthetic Cedar County.

The data is generated as an exchange bundle and imported through the same importer as a real
agency's data (coresponse.interop.bundle); then the roster that a bundle does not carry (demo
users, teams, shifts, directory, training, budgets) is created with the ORM. Seeding again with
the same seed changes nothing. With --out, the bundle (plus identity_truth.csv, the ground truth
of which person records are one human) is written to a folder and nothing is imported.
"""

import time
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coresponse.dispatch.models import Call
from coresponse.dispatch.services.triage import triage_calls
from coresponse.interop.bundle import BundleError, MemorySource, import_bundle
from coresponse.interop.synthetic import (
    UNTIL,
    care,
    finance,
    generate,
    identity,
    live,
    roster,
    write,
)


def _day(text: str) -> date:
    # "yesterday" lets `make demo` end the history just before the live calls of today.
    relative = {"today": 0, "yesterday": 1}
    if text in relative:
        return timezone.localdate() - timedelta(days=relative[text])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until {text!r} is not YYYY-MM-DD, today or yesterday") from None


class Command(BaseCommand):
    help = (
        "Generate the synthetic Cedar County (two years of co-responder calls, encounters, "
        "people, referrals, follow-ups) and import it, with demo users for every role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scenario", choices=["county"], default="county")
        parser.add_argument("--seed", type=int, default=42, help="same seed, same data")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiplies the ~15,000 calls (67: ~1M)"
        )
        parser.add_argument(
            "--until",
            type=_day,
            default=UNTIL,
            help=f"the last day of the two years: YYYY-MM-DD, today or yesterday "
            f"(default {UNTIL.isoformat()})",
        )
        parser.add_argument(
            "--out", metavar="DIR", help="write the bundle to DIR instead of importing it"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--live",
            action="store_true",
            help="also add a few calls of the last half hour, one with a team on scene, so the "
            "dispatch board is alive (make demo)",
        )

    def handle(self, *args, seed, scale, until, out, no_progress, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive")
        progress = not no_progress
        started = time.perf_counter()
        if out:
            counts = write(out, seed=seed, scale=scale, until=until, progress=progress)
            elapsed = time.perf_counter() - started
            self.stdout.write(f"Wrote Cedar County (seed {seed}, scale {scale:g}) to {out}")
            self._counts(counts)
            self.stdout.write(f"in {elapsed:.1f} s; nothing was imported.")
            return
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "seed creates demo accounts with a published password; it does not run with "
                "CORESPONSE_ENV=production (use --out to write the bundle to a folder instead)"
            )
        bundle = generate(seed=seed, scale=scale, until=until, progress=progress)
        generated = time.perf_counter() - started
        try:
            report = import_bundle(MemorySource(bundle.files), progress=progress)
        except BundleError as error:  # a generator bug: show it all
            for problem in error.problems[:50]:
                self.stderr.write(str(problem))
            raise CommandError(f"the generated bundle has {len(error.problems)} problems") from None
        demo = roster.build(until=until)
        finance.build(until=until)  # the cost model's unit costs, grant applications
        care_counts = care.build(until=until)  # the directory, referral steps, plans, outreach
        demo += care.demo_users()
        demo += identity.build()  # the records steward who reviews identity links
        triage_started = time.perf_counter()
        triaged = triage_calls(Call.objects.all()).total()
        triage_seconds = time.perf_counter() - triage_started
        live_calls = live.build() if options.get("live") else []
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Seeded Cedar County (seed {seed}, scale {scale:g})")
        self._counts({name: len(rows) for name, rows in bundle.files.items()})
        self.stdout.write(
            f"generated in {generated:.1f} s, imported in {report.seconds:.1f} s, "
            f"{elapsed:.1f} s in all"
        )
        self.stdout.write(f"  triaged {triaged:,} calls in {triage_seconds:.1f} s")
        self.stdout.write(
            "  care: " + ", ".join(f"{n:,} {what}" for what, n in care_counts.items())
        )
        if live_calls:
            self.stdout.write(f"  {len(live_calls)} live calls of the last half hour on the board")
        self.stdout.write("")
        self.stdout.write("Demo users (sign in at /login/; admin also at /admin/):")
        self._table(demo, ("username", "role", "agency", "password"))

    def _counts(self, counts):
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>9,}")

    def _table(self, rows, columns):
        widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
        line = "  ".join(f"{c:<{w}}" for c, w in zip(columns, widths, strict=True))
        self.stdout.write(line.rstrip())
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            cells = (f"{row[c]:<{w}}" for c, w in zip(columns, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
