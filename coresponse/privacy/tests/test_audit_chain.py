import pytest

from coresponse.agencies.models import User
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import GENESIS, record, verify_chain

pytestmark = pytest.mark.django_db


def test_each_event_carries_the_previous_hash():
    user = User.objects.create(username="reader")
    first = record(user, "read", "person", 7, ["identity"], "person detail")
    second = record(None, "export", "bundle", "", (), "8 files")
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    assert first.actor == user and second.actor is None
    assert verify_chain() == []


def test_a_changed_event_is_detected():
    record(None, "read", "person", 1, ["identity"])
    event = record(None, "read", "person", 2, ["identity"])
    AuditEvent.objects.filter(pk=event.pk).update(object_id="3")
    assert verify_chain() == [f"event {event.pk}: content changed after it was written"]


def test_a_removed_event_is_detected():
    record(None, "read", "person", 1)
    middle = record(None, "read", "person", 2)
    last = record(None, "read", "person", 3)
    AuditEvent.objects.filter(pk=middle.pk).delete()
    assert verify_chain() == [f"event {last.pk}: chain broken (previous hash does not match)"]
