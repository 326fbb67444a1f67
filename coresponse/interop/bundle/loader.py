"""Writing a checked bundle: upserts by external_id, in one transaction, all or nothing.

Rows whose external_id is not stored yet are INSERTed; rows that exist are written with
INSERT ... ON CONFLICT (external_id) DO UPDATE, so a re-import updates in place and never
duplicates. Both run through executemany in batches; foreign keys are resolved with
external_id -> pk maps read after each file is written.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable

from django.db import connection, models, transaction

from coresponse.field.models import EncounterNote
from coresponse.privacy.services import record

from .reader import Bundle, ParsedFile
from .schema import FILES, Ref, RefList

BATCH = 5_000  # rows per executemany call
LOOKUP_BATCH = 900  # ids per IN (...) query; below SQLite's oldest limit of 999 parameters
SQLITE_CACHE_KIB = 256 * 1024  # page cache while importing (SQLite's default is 2 MiB)


def load(bundle: Bundle, advance: Callable[[int], object] = lambda n: None):
    """Write every file of `bundle`; returns (rows per file, records created per file)."""
    referenced = {
        column.type.target
        for pf in bundle.files.values()
        for column in pf.columns
        if isinstance(column.type, Ref)
    }
    pks: dict[str, dict[str, int]] = defaultdict(dict)
    for target, found in bundle.existing.items():
        pks[target].update(found)
    rows, created = {}, {}
    with transaction.atomic(), _large_sqlite_cache():
        for name, pf in bundle.files.items():
            model = pf.spec.model
            ids = [values[0] for values in pf.rows]
            stored = _lookup(model, ids)  # the rows that already exist: external_id -> pk
            _write(pf, pks, stored, advance)
            rows[name], created[name] = len(ids), len(ids) - len(stored)
            if name in referenced or any(c.note or isinstance(c.type, RefList) for c in pf.columns):
                pks[name].update(stored)
                pks[name].update(_lookup(model, [i for i in ids if i not in stored]))
            for index, column in enumerate(pf.columns):
                if isinstance(column.type, RefList):
                    _replace_links(pf, index, column, pks)
                elif column.note:
                    _write_notes(pf, index, column.note, pks[name], stored)
        counts = ", ".join(
            f"{spec.name.removesuffix('.csv')}={rows[spec.name]}"
            for spec in FILES
            if spec.name in rows
        )
        record(None, "import", object_type="bundle", detail=f"{bundle.source}: {counts}")
    return rows, created


@contextlib.contextmanager
def _large_sqlite_cache():
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


def _lookup(model, ids: list[str]) -> dict[str, int]:
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


def _write(pf: ParsedFile, pks, stored: dict[str, int], advance) -> None:
    model = pf.spec.model
    given = {}  # model field name -> (row index, external id -> pk map for references)
    for index, column in enumerate(pf.columns):
        if not column.note and not isinstance(column.type, RefList):
            ids = pks[column.type.target] if isinstance(column.type, Ref) else None
            given[model._meta.get_field(column.field).name] = (index, ids)
    writer = Upsert(model, ["external_id"], [name for name in given if name != "external_id"])
    plan = []
    for field in writer.fields:
        index, ids = given.get(field.name, (None, None))
        plan.append((index, ids, writer.adapters[field.name]))
    new, old = [], []
    for values in pf.rows:
        row = []
        for index, ids, adapt in plan:
            if index is None:  # a column the file does not have: `adapt` is the default
                row.append(adapt)
                continue
            value = values[index]
            if value is not None:
                if ids is not None:
                    value = ids[value]
                elif adapt is not None:
                    value = adapt(value)
            row.append(value)
        batch = old if values[0] in stored else new
        batch.append(row)
        if len(batch) == BATCH:
            writer.execute(batch, update=batch is old)
            advance(len(batch))
            batch.clear()
    for batch, update in ((new, False), (old, True)):
        if batch:
            writer.execute(batch, update=update)
            advance(len(batch))


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


def _replace_links(pf: ParsedFile, index: int, column, pks) -> None:
    """Make each imported row's many-to-many set exactly the listed one (a diff, so that a
    re-import of the same bundle leaves the link rows untouched)."""
    field = pf.spec.model._meta.get_field(column.field)
    through = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    own, targets = pks[pf.spec.name], pks[column.type.target]
    wanted = {(own[values[0]], targets[linked]) for values in pf.rows for linked in values[index]}
    owners = [own[values[0]] for values in pf.rows]
    existing = set()
    for start in range(0, len(owners), LOOKUP_BATCH):
        existing.update(
            through.objects.filter(**{f"{source}__in": owners[start : start + LOOKUP_BATCH]})
            .values_list(source, target)
            .iterator()
        )
    stale = defaultdict(list)
    for owner, linked in existing - wanted:
        stale[owner].append(linked)
    for owner, linked in stale.items():
        through.objects.filter(**{source: owner, f"{target}__in": linked}).delete()
    through.objects.bulk_create(
        [through(**{source: owner, target: linked}) for owner, linked in sorted(wanted - existing)],
        batch_size=BATCH,
    )


def _write_notes(pf: ParsedFile, index: int, category: str, own, stored) -> None:
    """One note per (encounter, category); a blank cell deletes the stored note. Encounters
    created by this import have no notes yet, so only stored ones are upserted or cleared."""
    writer = Upsert(EncounterNote, ["encounter", "category"], ["text"])
    names = [field.name for field in writer.fields]
    new, old, cleared = [], [], []
    for values in pf.rows:
        external_id, text = values[0], values[index]
        if not text:
            if external_id in stored:
                cleared.append(stored[external_id])
            continue
        note = {"encounter": own[external_id], "category": category, "text": text}
        batch = old if external_id in stored else new
        batch.append([note.get(name) for name in names])
        if len(batch) == BATCH:
            writer.execute(batch, update=batch is old)
            batch.clear()
    for batch, update in ((new, False), (old, True)):
        if batch:
            writer.execute(batch, update=update)
    for start in range(0, len(cleared), LOOKUP_BATCH):
        EncounterNote.objects.filter(
            category=category, encounter_id__in=cleared[start : start + LOOKUP_BATCH]
        ).delete()
