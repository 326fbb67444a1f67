"""A call's triage result points to its reason (the rules that fired and the sentence), stored
once for the calls that share it, and is keyed by its call: a 500,000-call import wrote 93 MB of
results, most of it the same 188 sentences (docs/cad-import.md). Stored results keep their
reasons; reversing the migration copies them back."""

import django.db.models.deletion
from django.db import migrations, models

RESULT, REASON = "dispatch_triageresult", "dispatch_triagereason"


def share_reasons(apps, schema_editor):
    schema_editor.execute(
        f"INSERT INTO {REASON} (fired, explanation) "
        f"SELECT DISTINCT fired, explanation FROM {RESULT}"
    )
    schema_editor.execute(
        f"UPDATE {RESULT} SET reason_id = (SELECT r.id FROM {REASON} r "
        f"WHERE r.explanation = {RESULT}.explanation AND r.fired = {RESULT}.fired)"
    )
    _check_now(schema_editor)


def copy_reasons_back(apps, schema_editor):
    schema_editor.execute(
        f"UPDATE {RESULT} SET "
        f"fired = (SELECT r.fired FROM {REASON} r WHERE r.id = {RESULT}.reason_id), "
        f"explanation = (SELECT r.explanation FROM {REASON} r WHERE r.id = {RESULT}.reason_id)"
    )
    _check_now(schema_editor)


def _check_now(schema_editor):
    """PostgreSQL alters no table with deferred foreign key checks pending: make them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0003_call_without_pattern_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TriageReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "fired",
                    models.JSONField(default=list, help_text="Ids of the rules that fired, in order."),
                ),
                ("explanation", models.CharField(max_length=500)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("explanation", "fired"), name="triage_reason_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="triageresult",
            name="reason",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="dispatch.triagereason",
            ),
        ),
        migrations.RunPython(share_reasons, copy_reasons_back, elidable=False),
        migrations.AlterField(
            model_name="triageresult",
            name="reason",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="dispatch.triagereason",
            ),
        ),
        # A default, so that reversing can add the column back to stored rows before the copy.
        migrations.AlterField(
            model_name="triageresult",
            name="explanation",
            field=models.CharField(default="", max_length=500),
        ),
        migrations.RemoveField(model_name="triageresult", name="explanation"),
        migrations.RemoveField(model_name="triageresult", name="fired"),
        migrations.RemoveField(model_name="triageresult", name="id"),
        migrations.AlterField(
            model_name="triageresult",
            name="call",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="triage",
                serialize=False,
                to="dispatch.call",
            ),
        ),
    ]
