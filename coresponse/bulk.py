"""Bulk writes that every import shares: upserts by a natural key (executemany on SQLite, COPY
on PostgreSQL), external_id -> pk lookups in batches, and SQLite's page cache while importing.

Below the apps' layers (it knows no model), so the bundle, the CAD import and triage write
their rows the same way.
"""

from __future__ import annotations

import contextlib

from django.db import connection, models

BATCH = 5_000  # rows per executemany call
LOOKUP_BATCH = 900  # ids per IN (...) query; below SQLite's oldest limit of 999 parameters
SQLITE_CACHE_KIB = 256 * 1024  # page cache while importing (SQLite's default is 2 MiB)


@contextlib.contextmanager
def large_sqlite_cache():
    """SQLite's default 2 MiB page cache makes index upkeep of large imports I/O-bound."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def stored_ids(model, ids: list[str]) -> dict[str, int]:
    """external_id -> pk for those of `ids` that are stored."""
    if not ids:
        return {}
    manager = model.objects
    if len(ids) * 4 >= manager.count():  # most of the table: one scan beats many lookups
        wanted = set(ids)
        return {
            external_id: pk
            for external_id, pk in manager.values_list("external_id", "pk").iterator(10_000)
            if external_id in wanted
        }
    found = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        found.update(manager.filter(external_id__in=batch).values_list("external_id", "pk"))
    return found


class Upsert:
    """INSERT (for new rows) or INSERT ... ON CONFLICT (...) DO UPDATE SET ... (for stored
    rows): executemany on SQLite (3.24+), COPY on PostgreSQL.

    Not bulk_create(update_conflicts=True): that spends most of an import in per-value Python
    (model instances, SQL compilation) and, on SQLite, in batches of 999 // columns rows; and
    on SQLite an upsert costs about twice a plain insert. Measured together, 3-4 times slower.
    Values go through the adapters Django uses (time zones, JSON, dates), so what is stored is
    what the ORM would store.

    Every concrete field is inserted (the default for fields the file lacks, so new rows are
    whole); only `update` fields are overwritten in stored rows.
    """

    def __init__(self, model, conflict: list[str], update: list[str]):
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.adapters = {}
        for field in self.fields:
            if field.name in update or field.name in conflict:
                self.adapters[field.name] = _adapter(field)
            else:
                self.adapters[field.name] = _prepare(field, field.get_default())
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        target = ", ".join(quote(meta.get_field(name).column) for name in conflict)
        assignments = ", ".join(
            f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
            for n in update
        )
        self.table, self.columns = quote(meta.db_table), columns
        self.scratch = quote(f"import_{meta.db_table}")
        self.conflict_sql = f"ON CONFLICT ({target}) DO UPDATE SET {assignments}"
        self.insert_sql = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"
        self.upsert_sql = f"{self.insert_sql} {self.conflict_sql}"
        self.copy_sql = f"COPY {self.table} ({columns}) FROM STDIN"

    def execute(self, rows, *, update: bool) -> None:
        if connection.vendor == "postgresql":
            self._copy(rows, update)
            return
        with connection.cursor() as cursor:
            cursor.executemany(self.upsert_sql if update else self.insert_sql, rows)

    def _copy(self, rows, update: bool) -> None:
        """PostgreSQL: COPY is about ten times faster than executemany. New rows are copied
        straight into the table; stored rows into a scratch table, then upserted from it."""
        with connection.cursor() as cursor:
            if not update:
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.scratch} AS "
                f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {self.scratch}")
            with cursor.cursor.copy(f"COPY {self.scratch} ({self.columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) SELECT {self.columns} "
                f"FROM {self.scratch} {self.conflict_sql}"
            )


_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.ForeignKey,
)


def _adapter(field):
    """None when the driver takes the Python value as it is, else how Django would adapt it."""
    if isinstance(field, _PLAIN):
        return None
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        if connection.vendor != "sqlite":
            return ops.adapt_datetimefield_value
        # SQLite's adapt_datetimefield_value minus its per-value lookups: naive in the
        # connection's zone (UTC), as text.
        zone = connection.timezone
        return lambda value: str(value.astimezone(zone).replace(tzinfo=None))
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda value: ops.adapt_json_value(value, field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def _prepare(field, value):
    adapt = _adapter(field)
    return value if value is None or adapt is None else adapt(value)
