"""A call's program and creator are indexed where given, by partial indexes: imported calls
have neither, and the full indexes held an entry for each (rebuilding the two after a load of
500,000 calls took 0.7 s on SQLite, docs/cad-import.md). A lookup by a program or a user finds
its calls as before; both databases use a partial index for `column = value`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FULL_INDEXES = [
    ("dispatch_call_created_by_id_47812903", "created_by_id"),
    ("dispatch_call_program_id_d8a36e7c", "program_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0003_accounts_second_factors_lockout_tokens"),
        ("dispatch", "0005_idempotency_key_where_given"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The state changes as Django would make them; the database's only by dropping the two
    # full indexes (named as Django named them), not by the table copy an AlterField is on SQLite.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="call",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="call",
                    name="program",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="calls",
                        to="agencies.program",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX "{name}"', f'CREATE INDEX "{name}" ON "dispatch_call" ("{column}")'
                )
                for name, column in FULL_INDEXES
            ],
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                condition=models.Q(("program__isnull", False)),
                fields=["program"],
                name="call_program_given",
            ),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="call_created_by_given",
            ),
        ),
    ]
