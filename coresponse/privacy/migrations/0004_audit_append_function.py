"""One statement appends to the audit chain on PostgreSQL: the crisis alert writes an entry per
lookup, and the lock, the read of the head and the insert were five round trips with the
transaction around them (privacy.services.record).

The function takes the chain's advisory lock, then reads the head in a statement of its own (in
READ COMMITTED each statement of a volatile function sees what was committed before it began,
so every entry written before the lock was granted), seals the entry (the SHA-256 of the payload
the application built, with the previous hash appended, exactly as AuditEvent.payload does) and
inserts it with its subjects. The lock is held to the end of the caller's transaction.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION coresponse_audit_append(
    chain_lock bigint, payload_head text, subjects bigint[],
    at_ timestamptz, actor bigint, action_ text, object_type_ text, object_id_ text,
    categories_ jsonb, person_ids_ jsonb, purpose_ text, reason_ text, detail_ text
) RETURNS TABLE (new_id bigint, previous text, sealed text) AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(chain_lock);
    SELECT e.hash INTO previous FROM privacy_auditevent AS e ORDER BY e.id DESC LIMIT 1;
    IF previous IS NULL THEN  -- nothing since the last pruning: its anchor, or the genesis
        SELECT a.last_hash INTO previous FROM privacy_auditanchor AS a
            ORDER BY a.pruned_through_id DESC LIMIT 1;
    END IF;
    previous := COALESCE(previous, repeat('0', 64));
    sealed := encode(sha256(convert_to(payload_head || '"' || previous || '"]', 'UTF8')), 'hex');
    INSERT INTO privacy_auditevent (at, actor_id, action, object_type, object_id, categories,
        person_ids, purpose, reason, detail, previous_hash, hash)
    VALUES (at_, actor, action_, object_type_, object_id_, categories_, person_ids_, purpose_,
        reason_, detail_, previous, sealed)
    RETURNING id INTO new_id;
    INSERT INTO privacy_auditsubject (event_id, person_id)
        SELECT new_id, subject FROM unnest(subjects) AS subject;
    RETURN NEXT;
END
$$ LANGUAGE plpgsql;
"""
POSTGRES_DOWN = "DROP FUNCTION IF EXISTS coresponse_audit_append;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)  # its % are plpgsql's, not ours


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_append_only_audit")]

    operations = [migrations.RunPython(create, drop)]
