"""The audit chain: each entry sealed with the previous one's hash; the database refuses to
change or remove entries; `coresponse audit verify` finds any entry that was changed, removed,
reordered or had its subjects altered behind the database's back; pruning past the retention
keeps the rest verifiable."""

import contextlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from coresponse.agencies.models import User
from coresponse.privacy.models import AuditAnchor, AuditEvent, AuditSubject
from coresponse.privacy.services import GENESIS, prune, record, verify_chain

pytestmark = pytest.mark.django_db
TABLES = ("privacy_auditevent", "privacy_auditsubject")


@contextlib.contextmanager
def behind_the_databases_back():
    """What an attacker with the table owner's rights could do: switch the guards off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            else:
                for table in TABLES:
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                        "SELECT RAISE(ABORT, 'the audit chain is append-only: UPDATE refused'); END"
                    )


def test_each_event_carries_the_previous_hash_and_its_subjects():
    user = User.objects.create(username="reader")
    first = record(user, "read", "person", 7, ["identity"], "person detail", person_ids=[7])
    second = record(None, "export", "bundle", "", (), "8 files")
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    assert first.actor == user and second.actor is None
    assert list(first.subjects.values_list("person_id", flat=True)) == [7]
    assert verify_chain() == []


def test_the_database_refuses_to_change_an_entry():
    event = record(None, "read", "person", 1, ["identity"], person_ids=[1])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="nothing to see")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSubject.objects.filter(event=event).update(person_id=2)
    event.refresh_from_db()
    assert event.detail == "" and verify_chain() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row-level delete guard"
)
def test_postgresql_refuses_to_delete_an_entry():
    event = record(None, "read", "person", 1, person_ids=[1])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSubject.objects.filter(event=event)._raw_delete(connection.alias)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_changed_event_is_detected():
    record(None, "read", "person", 1, ["identity"])
    event = record(None, "read", "person", 2, ["identity"])
    with behind_the_databases_back():
        AuditEvent.objects.filter(pk=event.pk).update(object_id="3")
    assert verify_chain() == [f"event {event.pk}: content changed after it was written"]


def test_a_removed_event_is_detected():
    record(None, "read", "person", 1)
    middle = record(None, "read", "person", 2)
    last = record(None, "read", "person", 3)
    with behind_the_databases_back():
        AuditEvent.objects.filter(pk=middle.pk)._raw_delete(connection.alias)
    assert verify_chain() == [f"event {last.pk}: chain broken (previous hash does not match)"]


def test_reordered_events_are_detected():
    a = record(None, "read", "person", 1)
    b = record(None, "read", "person", 2)
    with behind_the_databases_back():
        # Swap the two entries' contents: each still hashes right on its own.
        fields = ["at", "object_id", "previous_hash", "hash"]
        values = {e.pk: [getattr(e, f) for f in fields] for e in (a, b)}
        AuditEvent.objects.filter(pk=a.pk).update(hash="x" * 64)
        AuditEvent.objects.filter(pk=b.pk).update(**dict(zip(fields, values[a.pk], strict=True)))
        AuditEvent.objects.filter(pk=a.pk).update(**dict(zip(fields, values[b.pk], strict=True)))
    problems = verify_chain()
    assert f"event {a.pk}: chain broken (previous hash does not match)" in problems


def test_a_removed_or_added_subject_is_detected():
    event = record(None, "read", "person", "", ["identity"], person_ids=[4, 5])
    with behind_the_databases_back():
        AuditSubject.objects.filter(event=event, person_id=5)._raw_delete(connection.alias)
    assert verify_chain() == [f"event {event.pk}: its subject rows do not match its person ids"]
    AuditSubject.objects.create(event=event, person_id=5)
    AuditSubject.objects.create(event=event, person_id=6)
    assert verify_chain() == [f"event {event.pk}: its subject rows do not match its person ids"]


def test_the_verify_command_exits_non_zero_on_a_broken_chain(capsys):
    record(None, "read", "person", 1)
    call_command("audit", "verify")
    assert "intact: 1 entries verified" in capsys.readouterr().out
    event = record(None, "read", "person", 2)
    with behind_the_databases_back():
        AuditEvent.objects.filter(pk=event.pk).update(detail="edited")
    with pytest.raises(CommandError, match="broken: 1 problems"):
        call_command("audit", "verify")
    assert "content changed" in capsys.readouterr().err


def test_pruning_keeps_a_year_and_leaves_the_rest_verifiable(settings):
    settings.CORESPONSE_AUDIT_RETENTION_DAYS = 365
    old = [record(None, "read", "person", n, person_ids=[n]) for n in range(3)]
    kept = record(None, "read", "person", 9, person_ids=[9])
    with behind_the_databases_back():  # make the first three two years old
        AuditEvent.objects.filter(pk__in=[e.pk for e in old]).update(
            at=timezone.now() - timedelta(days=730)
        )
    # Their hashes no longer match (the test rewrote them); pruning removes them anyway, and
    # the kept entry verifies from the anchor.
    assert prune(timezone.now()) == 3  # "before now" is capped at the retention
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    anchor = AuditAnchor.objects.get()
    assert anchor.pruned_through_id == old[-1].pk and anchor.last_hash == old[-1].hash
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert verify_chain() == []  # the kept entry, and the prune's own entry after it
    assert prune() == 0  # nothing younger than a year goes


def test_after_pruning_everything_the_next_entry_seals_to_the_anchor(settings):
    settings.CORESPONSE_AUDIT_RETENTION_DAYS = 365
    old = [record(None, "read", "person", n, person_ids=[n]) for n in range(2)]
    with behind_the_databases_back():
        AuditEvent.objects.update(at=timezone.now() - timedelta(days=730))
    assert prune(timezone.now()) == 2
    (entry,) = AuditEvent.objects.all()  # the prune's own, written to an empty chain
    assert entry.previous_hash == AuditAnchor.objects.get().last_hash == old[-1].hash
    assert entry.hash == entry.compute_hash()
    assert verify_chain() == []


def test_the_retention_is_never_under_a_year(settings):
    settings.CORESPONSE_AUDIT_RETENTION_DAYS = 30
    from coresponse.privacy.services import retention_days

    assert retention_days() == 365


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database refuses concurrent writers instead of queueing them"
    " (a file database queues them: every transaction takes the write lock at its start)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Writers in several threads (a server's workers, each with its own connection) append in
    turn: no two entries name the same previous hash, the chain verifies. On PostgreSQL a row
    lock on the head alone let a waiting writer seal its entry to the head it had already read
    (a fork); the advisory lock is taken before the head is read."""
    import threading

    from django.db import connections

    failures = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                record(None, "read", "person", f"{n}-{i}", person_ids=[n, 100 + i])
        except Exception as error:  # reported below: a thread's exception would vanish
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    previous = list(AuditEvent.objects.values_list("previous_hash", flat=True))
    assert len(previous) == 90 and len(set(previous)) == 90
    assert verify_chain() == []
