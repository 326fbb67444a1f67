"""The audit tables made append-only in the database itself: no UPDATE or DELETE gets
through, whatever code or role tries.

PostgreSQL: a trigger refuses UPDATE and DELETE on both audit tables; a DELETE passes only
inside a transaction that set `coresponse.audit_prune = 'on'` (privacy.services.prune, which
only removes entries past their retention). TRUNCATE is a table privilege: the production role
is denied it by `coresponse audit lockdown`. SQLite: a trigger refuses UPDATE (the embedded
tier's deletes are caught by `coresponse audit verify`).
"""

from django.db import migrations

TABLES = ["privacy_auditevent", "privacy_auditsubject"]

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION coresponse_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('coresponse.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit chain is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION coresponse_audit_append_only();
"""
    for table in TABLES
)
POSTGRES_DOWN = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES
) + "DROP FUNCTION IF EXISTS coresponse_audit_append_only();"


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)  # its % are plpgsql's, not ours
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only: UPDATE refused'); END"
            )


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_consent_agreements_break_glass")]

    operations = [migrations.RunPython(append_only, drop_append_only)]
