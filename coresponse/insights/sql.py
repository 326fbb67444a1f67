"""Database expressions the engine needs that Django does not ship, one per vendor.

Both compile to plain SQL functions of each database (no Python callback per row, which is what
Django's own datetime subtraction does on SQLite), so aggregation stays in the database.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Func, IntegerField

# Memory for one sort or hash of the engine's GROUP BYs on PostgreSQL (its default, 4 MB, makes
# the GROUP BY person of a large city's year spill to disk).
WORK_MEM = "64MB"


class SecondsBetween(Func):
    """Whole seconds from `start` to `end` (two datetime expressions); NULL if either is."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s)) * 86400.0) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(EXTRACT(EPOCH FROM (%(expressions)s))) AS INTEGER)",
            arg_joiner=" - ",
            **extra,
        )


class AgeInYears(Func):
    """Completed years from a date of birth to a datetime (UTC date); NULL without a birth date."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, at, dob, **extra):
        super().__init__(at, dob, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        at, dob = (compiler.compile(e) for e in self.source_expressions)
        sql = (
            f"(CAST(strftime('%%Y', {at[0]}) AS INTEGER) - CAST(strftime('%%Y', {dob[0]}) AS "
            f"INTEGER) - (strftime('%%m-%%d', {at[0]}) < strftime('%%m-%%d', {dob[0]})))"
        )
        return sql, (*at[1], *dob[1], *at[1], *dob[1])

    def as_postgresql(self, compiler, connection, **extra):
        at, dob = (compiler.compile(e) for e in self.source_expressions)
        sql = f"CAST(EXTRACT(YEAR FROM AGE(({at[0]})::date, {dob[0]})) AS INTEGER)"
        return sql, (*at[1], *dob[1])


def seconds_between_sql(vendor: str, end: str, start: str) -> str:
    """The same as SecondsBetween, for hand-written SQL around a compiled query."""
    if vendor == "sqlite":
        return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400.0) AS INTEGER)"
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start}))) AS INTEGER)"


@contextmanager
def analytic_queries():
    """Run the engine's queries of one question in one read transaction; on PostgreSQL with
    WORK_MEM for their sorts and hashes (SET LOCAL: this transaction only)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        yield
