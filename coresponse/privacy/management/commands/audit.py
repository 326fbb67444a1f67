"""`coresponse audit verify | prune | lockdown ROLE`: the audit chain's maintenance."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import prune, retention_days, verify_chain

AUDIT_TABLES = ("privacy_auditevent", "privacy_auditsubject", "privacy_auditanchor")


class Command(BaseCommand):
    help = (
        "verify: check every entry of the audit chain (exit 1 on any changed, removed or "
        "reordered entry). prune [--before DATE]: remove entries past the retention period "
        "(CORESPONSE_AUDIT_RETENTION_DAYS, at least a year). lockdown ROLE: on PostgreSQL, leave "
        "the application's database role only SELECT and INSERT on the audit tables."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="check the chain")
        pruning = sub.add_parser("prune", help="remove entries past the retention period")
        pruning.add_argument("--before", help="YYYY-MM-DD (never later than the retention allows)")
        locking = sub.add_parser("lockdown", help="PostgreSQL: SELECT and INSERT only for ROLE")
        locking.add_argument("role")

    def handle(self, verb, **options):
        getattr(self, f"_{verb}")(**options)

    def _verify(self, **options):
        problems = verify_chain()
        count = AuditEvent.objects.count()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"the audit chain is broken: {len(problems)} problems")
        self.stdout.write(f"The audit chain is intact: {count:,} entries verified.")

    def _prune(self, before=None, **options):
        when = None
        if before:
            try:
                when = timezone.make_aware(datetime.fromisoformat(before))
            except ValueError:
                raise CommandError(f"--before {before!r} is not a date (YYYY-MM-DD)") from None
        removed = prune(when)
        self.stdout.write(
            f"Removed {removed:,} entries older than the retention of {retention_days()} days."
        )

    def _lockdown(self, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("lockdown is for PostgreSQL (SQLite has no roles)")
        quoted = connection.ops.quote_name(role)
        with connection.cursor() as cursor:
            for table in AUDIT_TABLES:
                cursor.execute(f"REVOKE ALL ON {table} FROM {quoted}")
                cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {quoted}")
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id')", [table]
                )  # the id sequence, so INSERT can number rows
                (sequence,) = cursor.fetchone()
                if sequence:
                    cursor.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {quoted}")
        self.stdout.write(
            f"{role} may now only read and append to the audit tables "
            "(no UPDATE, DELETE or TRUNCATE; the triggers refuse UPDATE and DELETE for every role)."
        )
