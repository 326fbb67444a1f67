"""Bulk writes that every import shares: upserts by a natural key (executemany on SQLite, COPY
on PostgreSQL), external_id -> pk lookups in batches, and SQLite's page cache while importing.

Below the apps' layers (it knows no model), so the bundle, the CAD import and triage write
their rows the same way.
"""

from __future__ import annotations

import contextlib
import json

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
    whole); only `update` fields are overwritten in stored rows. With `pk` the primary key is
    a column too (first, as in the model), for rows whose ids the caller took (`new_ids`).

    `binary`: on PostgreSQL, COPY in binary format, typed by the table's own column types, so
    the server parses no text (a large import's write takes about half the time). Every value
    must then be of its column's Python type (str for text, int for integers, an aware datetime
    for a timestamp, bool, float): rows the caller built itself, as the CAD import does, not
    text read from a file.
    """

    def __init__(
        self,
        model,
        conflict: list[str],
        update: list[str],
        *,
        binary: bool = False,
        pk: bool = False,
    ):
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if pk or not f.primary_key]
        self.binary = binary and connection.vendor == "postgresql"
        self._types: list[int] | None = None
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
        # Nothing to update: a stored row is kept as it is (rows another writer just stored).
        action = f"DO UPDATE SET {assignments}" if update else "DO NOTHING"
        self.conflict_sql = f"ON CONFLICT ({target}) {action}"
        self.insert_sql = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"
        self.upsert_sql = f"{self.insert_sql} {self.conflict_sql}"

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
                self._copy_into(cursor, self.table, rows)
                return
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.scratch} AS "
                f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {self.scratch}")
            self._copy_into(cursor, self.scratch, rows)
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) SELECT {self.columns} "
                f"FROM {self.scratch} {self.conflict_sql}"
            )

    def constant(self, name: str, value):
        """`value` adapted once for field `name`, to be written in many rows. A JSON value on
        PostgreSQL is rendered to text here, as Django would render it, not once per row."""
        field = next(f for f in self.fields if f.name == name)
        if connection.vendor == "postgresql" and isinstance(field, models.JSONField):
            from psycopg.types.json import Jsonb

            text = json.dumps(value, cls=field.encoder)
            return Jsonb(value, dumps=lambda _value: text)
        adapt = self.adapters[name]
        return value if value is None or adapt is None else adapt(value)

    def _copy_into(self, cursor, table: str, rows) -> None:
        options = " (FORMAT BINARY)" if self.binary else ""
        types = self._column_types(cursor) if self.binary else None  # before the COPY starts
        with cursor.cursor.copy(f"COPY {table} ({self.columns}) FROM STDIN{options}") as copy:
            if types is not None:
                copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)

    def _column_types(self, cursor) -> list[int]:
        """The type oid of each column, as the table declares it (binary COPY needs them)."""
        if self._types is None:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [self.table],
            )
            oids = dict(cursor.fetchall())
            self._types = [int(oids[field.column]) for field in self.fields]
        return self._types


def new_ids(model, count: int) -> list[int] | None:
    """`count` primary keys for new rows of `model`, taken from its PostgreSQL sequence, so rows
    that refer to them (a call's triage result) are written without looking them up. None on
    SQLite, whose writers would race for max(id) + 1: look the ids up after the write there."""
    if connection.vendor != "postgresql" or count <= 0:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return cursor.fetchone()[0]


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
