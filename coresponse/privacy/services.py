"""Writes to the audit chain. Each event carries the hash of the one before it."""

from django.db import transaction
from django.utils import timezone

from coresponse.privacy.models import AuditEvent

GENESIS = "0" * 64


@transaction.atomic
def record(actor, action: str, object_type: str = "", object_id="", categories=(), detail=""):
    # Lock the chain's head so two writers never fork it.
    last = AuditEvent.objects.select_for_update().order_by("-id").only("hash").first()
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        categories=sorted(categories),
        detail=detail[:500],
        previous_hash=last.hash if last else GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def verify_chain() -> list[str]:
    """Every break in the chain, as readable problems; empty when intact."""
    problems, previous = [], GENESIS
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.previous_hash != previous:
            problems.append(f"event {event.id}: chain broken (previous hash does not match)")
        if event.compute_hash() != event.hash:
            problems.append(f"event {event.id}: content changed after it was written")
        previous = event.hash
    return problems
