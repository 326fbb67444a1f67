"""Bulk writes that every import shares: upserts by a natural key (executemany on SQLite, COPY
on PostgreSQL), external_id -> pk lookups in batches, and SQLite's page cache while importing.

Below the apps' layers (it knows no model), so the bundle, the CAD import and triage write
their rows the same way.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from itertools import chain

from django.db import connection, models, transaction

BATCH = 5_000  # rows per executemany call
ROWS_PER_STATEMENT = 50  # SQLite: rows per INSERT statement
LOOKUP_BATCH = 900  # ids per IN (...) query; below SQLite's oldest limit of 999 parameters
# Page cache while importing, an upper bound (SQLite's default is 2 MiB): a 500,000-call import
# with its triage results dirties hundreds of MB; at 256 MiB the pages spilled mid-transaction
# and writing the results took 6.7 s instead of 4.5.
SQLITE_CACHE_KIB = 1024 * 1024


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


REBUILD_MIN_ROWS = 50_000  # below this, keeping the indexes up to date costs little


@contextlib.contextmanager
def indexes_rebuilt_after(model, incoming: int, *, foreign_keys: bool = False):
    """For a load of `incoming` new rows at least as many as the table holds: the table's plain
    indexes (not unique, not a constraint's) are dropped while the rows go in and created again
    after, in the same transaction. Building an index from all its rows at once is a sort;
    keeping it up to date is one random B-tree insert per row and index, most of a large load's
    time on PostgreSQL.

    `foreign_keys` (PostgreSQL): the table's foreign keys too, added again after the load, when
    each is checked for all the rows by one join instead of one lookup (and row lock) per row
    and key. Only for a table whose referenced tables the loader already holds (a call's
    triage results, whose calls it is writing): dropping a key locks the referenced table.

    Nothing is lost on error: the rollback (to a savepoint) restores the indexes and keys, and
    every row is checked before the commit. On PostgreSQL the drop locks the table until the
    commit (its readers wait), which is why only a load that at least doubles the table does
    it; on SQLite readers keep their snapshot and the import holds the write lock anyway.
    Unique indexes stay: they keep the rows unique while the upsert finds the stored rows."""
    if incoming < REBUILD_MIN_ROWS:
        yield
        return
    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    table = model._meta.db_table
    with transaction.atomic():  # an error rolls the drops back with the rows
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")
            (stored,) = cursor.fetchone()
            indexes, keys = [], []
            if incoming >= stored:
                indexes = _plain_indexes(cursor, table)
                if foreign_keys and postgresql:
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                        [table],
                    )
                    keys = cursor.fetchall()
            if indexes or keys:
                _settle_deferred(cursor)
                for name, _ in keys:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                for name, _ in indexes:
                    cursor.execute(f"DROP INDEX {quote(name)}")
                _settle_deferred(cursor, done=True)
        yield
        if not indexes and not keys:
            return
        with connection.cursor() as cursor:
            _settle_deferred(cursor)
            for _, definition in indexes:
                cursor.execute(definition)
            for name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
            _settle_deferred(cursor, done=True)


def _plain_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that are not unique."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT x.indisunique AND NOT x.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname",
            [table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
            [table],
        )
    return cursor.fetchall()


def _settle_deferred(cursor, *, done: bool = False) -> None:
    """PostgreSQL will not build an index on, nor alter, a table with deferred checks (foreign
    keys) pending: they are made now rather than at the commit (`done`: deferred again after)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET CONSTRAINTS ALL {'DEFERRED' if done else 'IMMEDIATE'}")


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
    """INSERT (for new rows) or INSERT ... ON CONFLICT (...) DO UPDATE SET ... WHERE a value
    changed (for stored rows): executemany on SQLite (3.24+), COPY on PostgreSQL.

    Not bulk_create(update_conflicts=True): that spends most of an import in per-value Python
    (model instances, SQL compilation) and, on SQLite, in batches of 999 // columns rows; and
    on SQLite an upsert costs about twice a plain insert. Measured together, 3-4 times slower.
    Values go through the adapters Django uses (time zones, JSON, dates), so what is stored is
    what the ORM would store.

    Every concrete field is inserted (the default for fields the file lacks, so new rows are
    whole); only `update` fields are overwritten in stored rows. With `pk` the primary key is
    a column too, for rows whose ids the caller took (`new_ids`). The columns are in the
    model's order (the key first), or in `columns` (every field's name once): the order the
    caller's rows already hold them in.

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
        columns: Sequence[str] | None = None,
    ):
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if pk or not f.primary_key]
        if columns is not None:
            by_name = {f.name: f for f in self.fields}
            if sorted(columns) != sorted(by_name):
                raise ValueError(f"columns must name each of {sorted(by_name)} once")
            self.fields = [by_name[name] for name in columns]
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
        # A stored row whose values are all the same is not written again: re-importing a file
        # then writes no new row versions and no index entries (most of a re-import's time).
        differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        changed = " OR ".join(
            f"{self.table}.{quote(meta.get_field(n).column)} {differs} "
            f"EXCLUDED.{quote(meta.get_field(n).column)}"
            for n in update
        )
        # Nothing to update: a stored row is kept as it is (rows another writer just stored).
        action = f"DO UPDATE SET {assignments} WHERE {changed}" if update else "DO NOTHING"
        self.conflict_sql = f"ON CONFLICT ({target}) {action}"
        # SQLite: several rows per statement (a statement's own work, such as AUTOINCREMENT's
        # bookkeeping, is done once for them; 500,000 calls measured: 4.3-5.0 s against
        # 5.9-6.3), within the oldest limit on parameters.
        self.per_statement = max(1, min(ROWS_PER_STATEMENT, 999 // len(self.fields)))
        self.sql = {}
        for per in {1, self.per_statement}:
            values = ", ".join([f"({marks})"] * per)
            insert = f"INSERT INTO {self.table} ({columns}) VALUES {values}"
            self.sql[per, False], self.sql[per, True] = insert, f"{insert} {self.conflict_sql}"

    def execute(self, rows, *, update: bool) -> None:
        if connection.vendor == "postgresql":
            self._copy(rows, update)
            return
        if not isinstance(rows, Sequence):
            rows = list(rows)
        per = self.per_statement
        whole = len(rows) - len(rows) % per
        with connection.cursor() as cursor:
            if whole:
                cursor.executemany(
                    self.sql[per, update],
                    [list(chain.from_iterable(rows[at : at + per])) for at in range(0, whole, per)],
                )
            if whole < len(rows):
                cursor.executemany(self.sql[1, update], rows[whole:])

    def insert_picks(self, keys: Sequence[int], picks: Sequence[int], distinct, advance=None):
        """Insert new rows, row i being `keys[i]` (the first column, an integer) and then the
        columns of `distinct[picks[i]]`: many rows that share a few values (an import's triage
        results), BATCH rows at a time, `advance(n)` after each batch.

        SQLite: the distinct rows go into a scratch table once, and each batch is one JSON array
        of numbers (key * len(distinct) + pick) that SQLite splits and joins itself: no value
        is bound row by row (500,000 results measured: 1.1-1.7 s against 2.6-3.7)."""
        size = len(distinct)
        joined = connection.vendor == "sqlite" and max(keys, default=0) < (1 << 62) // max(size, 1)
        sql = self._picks_statement(distinct) if joined else None
        for start in range(0, len(keys), BATCH):
            batch = list(
                zip(keys[start : start + BATCH], picks[start : start + BATCH], strict=True)
            )
            if joined:
                with connection.cursor() as cursor:
                    cursor.execute(sql, [json.dumps([key * size + pick for key, pick in batch])])
            else:
                self.execute([(key, *distinct[pick]) for key, pick in batch], update=False)
            if advance is not None:
                advance(len(batch))
        if joined:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {self.scratch}")

    def _picks_statement(self, distinct) -> str:
        """SQLite: the distinct rows into the scratch table (n, the columns after the key);
        the INSERT that joins a batch's JSON array of numbers with them."""
        size = len(distinct)
        names = [f"v{at}" for at in range(len(self.fields) - 1)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.scratch} "
                f"(n INTEGER PRIMARY KEY, {', '.join(names)})"
            )
            cursor.execute(f"DELETE FROM {self.scratch}")
            cursor.executemany(
                f"INSERT INTO {self.scratch} VALUES ({', '.join(['%s'] * (len(names) + 1))})",
                [(n, *values) for n, values in enumerate(distinct)],
            )
        chosen = ", ".join(f"p.{name}" for name in names)
        return (
            f"INSERT INTO {self.table} ({self.columns}) SELECT j.value / {size}, {chosen} "
            f"FROM json_each(%s) AS j JOIN {self.scratch} AS p ON p.n = j.value %% {size}"
        )

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


def new_ids(model, count: int) -> Sequence[int] | None:
    """`count` primary keys for new rows of `model`, so rows that refer to them (a call's
    triage result) are written without looking them up; None when they cannot be taken safely.

    PostgreSQL: taken from the table's sequence (a range when they come out contiguous, as they
    do unless another writer takes some at the same moment). SQLite: the ids after the highest
    used, only inside a transaction that holds the write lock from its start (the project's
    IMMEDIATE transaction mode), where no other writer can insert until it commits; the caller
    inserts the rows with these ids before it inserts any other row of the table."""
    if count <= 0:
        return None
    meta = model._meta
    table = meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, meta.pk.column])
            (sequence,) = cursor.fetchone()  # resolved once, not per value
            cursor.execute(
                "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
                "ELSE array_agg(v) END FROM (SELECT nextval(%s::regclass) AS v "
                "FROM generate_series(1, %s)) AS taken",
                [sequence, count],
            )
            low, high, scattered = cursor.fetchone()
            return range(low, high + 1) if scattered is None else scattered
        if not _holds_sqlite_write_lock():
            return None
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT max({quote(meta.pk.column)}) FROM {quote(table)}")
        (high,) = cursor.fetchone()
        high = high or 0
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():  # AUTOINCREMENT: never reuse an id of a deleted row
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            used = cursor.fetchone()
            high = max(high, used[0] if used else 0)
        return range(high + 1, high + 1 + count)


def _holds_sqlite_write_lock() -> bool:
    options = connection.settings_dict.get("OPTIONS", {})
    return (
        connection.vendor == "sqlite"
        and connection.in_atomic_block
        and str(options.get("transaction_mode", "")).upper() in ("IMMEDIATE", "EXCLUSIVE")
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
        # connection's zone, as text.
        zone = connection.timezone
        if connection.timezone_name == "UTC":
            return _utc_text(zone)
        return lambda value: str(value.astimezone(zone).replace(tzinfo=None))
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda value: ops.adapt_json_value(value, field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


_MINUTES = [f" {hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
_SECONDS = [f"{second:02d}" for second in range(60)]


def _utc_text(utc):
    """A time as Django writes it to SQLite in UTC ("2024-05-01 12:00:00[.ffffff]"), from
    tables of the day's and the minute's text: half the time of isoformat, most of a large
    import's adapting (measured, 500,000 times: 1.0 s against 1.7-2.1 s)."""
    days: dict[int, str] = {}

    def text(value) -> str:
        value = value.astimezone(utc)
        ordinal = value.toordinal()
        day = days.get(ordinal)
        if day is None:
            day = days[ordinal] = value.date().isoformat()
        out = day + _MINUTES[value.hour * 60 + value.minute] + _SECONDS[value.second]
        return f"{out}.{value.microsecond:06d}" if value.microsecond else out

    return text


def _prepare(field, value):
    adapt = _adapter(field)
    return value if value is None or adapt is None else adapt(value)
