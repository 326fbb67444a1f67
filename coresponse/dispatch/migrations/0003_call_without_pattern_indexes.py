"""PostgreSQL only: drop the `varchar_pattern_ops` ("_like") indexes Django adds beside the call's
external_id, idempotency_key and caller_phone indexes. They serve only case-sensitive
`LIKE 'prefix%'` lookups, which no query of the project makes (the call search is `icontains`,
an `UPPER(...) LIKE` that cannot use them), and each costs every insert and update of a call:
about 1.8 s of a 500,000-call import (docs/cad-import.md). The plain and unique indexes stay.
Models are unchanged; reversing the migration creates the indexes again."""

from django.db import migrations

FIELDS = ("external_id", "idempotency_key", "caller_phone")


def _like_indexes(schema_editor, model):
    for name in FIELDS:
        field = model._meta.get_field(name)
        yield (
            field,
            schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like"),
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("dispatch", "Call")
    for _, index in _like_indexes(schema_editor, model):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("dispatch", "Call")
    for field, index in _like_indexes(schema_editor, model):
        statement = schema_editor._create_like_index_sql(model, field)
        # Reversing 0005 (idempotency_key unique again) has made that one already.
        if statement is not None and not _exists(schema_editor, index):
            schema_editor.execute(statement)


def _exists(schema_editor, index: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [index])
        return cursor.fetchone()[0] is not None


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0002_triage_board_handoffs")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
