"""Hand-written SQL for the few reads that run many times a second (the crisis alert's path).

The ORM spends about a millisecond building each query and its model instances, several times
what the database takes to answer a small indexed select; on a path that runs a hundred times
a second, those queries are written out instead. Below every app (it knows no model), like
`coresponse.bulk`.

    read = reader(Consent._meta.get_field("categories"), Consent._meta.get_field("expires_at"))
    with cursor() as c:
        c.execute(f"SELECT categories, expires_at FROM privacy_consent WHERE id IN ({marks(ids)})",
                  ids)
        for categories, expires_at in read(c.fetchall()):

`cursor()` is where such SQL runs: on PostgreSQL a cursor whose values are bound by the server
and whose statements are prepared once per connection (Django's own cursors write the values
into the text, so PostgreSQL parses and plans every query afresh: half its work on the alert's
path), logged and error-wrapped like any Django cursor; elsewhere Django's cursor. Behind a
pooler in transaction mode, prepared statements need PgBouncer 1.21+ (max_prepared_statements).
`reader` converts each value exactly as the ORM does for that model field (dates and times
read back from SQLite, aware datetimes, JSON); `marks` writes the placeholders of an IN list;
`param` adapts a value for the database as the ORM would before sending it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import DEFAULT_DB_ALIAS, connections


def _db():
    """The default connection itself: each attribute read through `django.db.connection` looks
    the connection up again in a context-local store, dozens of times on one alert."""
    return connections[DEFAULT_DB_ALIAS]


@contextlib.contextmanager
def cursor() -> Iterator:
    """A cursor for hand-written SQL (placeholders %s): prepared statements on PostgreSQL."""
    connection = _db()
    if connection.vendor != "postgresql":
        with connection.cursor() as plain:
            yield plain
        return
    connection.close_if_health_check_failed()  # what connection.cursor() does first
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:  # Django's default: psycopg prepares
        connection.connection.prepare_threshold = ONLY_WHEN_ASKED  # nothing, even when asked
    raw = _prepared_cursor()(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else None
    with wrapped or connection.make_cursor(raw) as prepared:
        yield prepared


# psycopg prepares a statement run this many times by a server-binding cursor, or at once when
# told to (as ours are); Django's cursors bind on the client and never prepare.
ONLY_WHEN_ASKED = 2**31 - 1
_classes: dict = {}


def _prepared_cursor():
    """Django's server-binding cursor class, preparing every statement it runs."""
    found = _classes.get("prepared")
    if found is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class Prepared(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                prepare = True if prepare is None else prepare
                return super().execute(query, params, prepare=prepare, binary=binary)

        found = _classes["prepared"] = Prepared
    return found


def _converters(fields, connection) -> list[tuple[int, list]]:
    """(position, [(convert, col), ...]) of the fields the ORM converts on this database."""
    out = []
    for at, field in enumerate(fields):
        if field is None:
            continue
        col = field.cached_col
        found = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        if found:
            out.append((at, [(convert, col) for convert in found]))
    return out


def reader(*fields) -> Callable[[Iterable[Sequence]], list[list]]:
    """A function turning rows of raw values of these model fields (in order) into the values
    the ORM would give; a field given as None passes its column through as it comes."""
    by_vendor: dict[str, list[tuple[int, list]]] = {}

    def read(rows: Iterable[Sequence]) -> list[list]:
        connection = _db()
        plan = by_vendor.get(connection.vendor)
        if plan is None:
            plan = by_vendor[connection.vendor] = _converters(fields, connection)
        out = []
        for row in rows:
            values = list(row)
            for at, converters in plan:
                value = values[at]
                if value is not None:
                    for convert, col in converters:
                        value = convert(value, col, connection)
                    values[at] = value
            out.append(values)
        return out

    return read


def marks(values: Sequence) -> str:
    """`%s, %s, ...`: one placeholder per value (an IN list; never empty)."""
    if not values:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * len(values))


def param(field, value):
    """`value` as the ORM sends it for `field` (a datetime as SQLite's text, JSON as text)."""
    return field.get_db_prep_save(value, _db())
