"""Writes of the trust layer: the audit chain, consents, sharing agreements and break-glass.

Every write here is itself audited; `record` is how any app writes to the chain.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from coresponse import sql
from coresponse.agencies.models import AgencyKind, Role
from coresponse.people.models import Person
from coresponse.privacy.models import (
    AuditAction,
    AuditAnchor,
    AuditEvent,
    AuditSubject,
    BreakGlass,
    Consent,
    ConsentKind,
    SharingAgreement,
)
from coresponse.privacy.policy import BREAK_GLASS_ROLES, access, forget, forget_terms

GENESIS = "0" * 64
JUSTIFICATION_MIN = 20  # characters: "emergency" alone is not a justification


def record(
    actor,
    action: str,
    object_type: str = "",
    object_id="",
    categories=(),
    detail="",
    *,
    person_ids: Iterable[int] = (),
    purpose: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain; `person_ids` are the person records it touched.

    Writers take the chain in turn: on PostgreSQL a transaction-scoped advisory lock taken
    before the head is read (a row lock on the head is not enough: a writer waiting on it
    would still read the head its snapshot saw and fork the chain), all in one statement
    (the function of migration 0004); on SQLite the write lock every transaction takes at its
    start (IMMEDIATE). Hand-written statements (coresponse.sql): every crisis-alert lookup
    writes one event."""
    subjects = sorted({int(pid) for pid in person_ids})
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        categories=sorted(categories),
        person_ids=subjects,
        purpose=purpose,
        reason=reason[:300],
        detail=detail[:500],
    )
    if connection.vendor == "postgresql":
        content = [sql.param(f, getattr(event, f.attname)) for f in _CONTENT_FIELDS]
        with sql.cursor() as cursor:
            cursor.execute(_APPEND, [CHAIN_LOCK, event.payload_head(), subjects, *content])
            event.pk, event.previous_hash, event.hash = cursor.fetchone()
    else:
        with transaction.atomic(), sql.cursor() as cursor:
            cursor.execute(f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT 1")
            last = cursor.fetchone()
            event.previous_hash = last[0] if last else _anchor_hash()
            event.hash = event.compute_hash()
            values = [sql.param(f, getattr(event, f.attname)) for f in _EVENT_FIELDS]
            cursor.execute(_INSERT_EVENT, values)
            event.pk = cursor.fetchone()[0]
            if subjects:
                cursor.execute(
                    f"INSERT INTO {AuditSubject._meta.db_table} (event_id, person_id) VALUES "
                    + ", ".join(["(%s, %s)"] * len(subjects)),
                    [value for pid in subjects for value in (event.pk, pid)],
                )
    event._state.adding, event._state.db = False, connection.alias
    return event


_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
_CONTENT_FIELDS = [f for f in _EVENT_FIELDS if f.name not in ("previous_hash", "hash")]
_INSERT_EVENT = (
    f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(f.column for f in _EVENT_FIELDS)})"
    f" VALUES ({sql.marks(_EVENT_FIELDS)}) RETURNING id"
)
_APPEND = (
    "SELECT new_id, previous, sealed FROM coresponse_audit_append("
    f"%s, %s, %s::bigint[], {sql.marks(_CONTENT_FIELDS)})"
)
# The advisory lock that orders writers of the chain on PostgreSQL (any fixed 64-bit number the
# rest of the application does not use: "audit" in ASCII).
CHAIN_LOCK = 0x6175646974


def _anchor_hash() -> str:
    anchor = AuditAnchor.objects.order_by("-pruned_through_id").first()
    return anchor.last_hash if anchor else GENESIS


def verify_chain() -> list[str]:
    """Every break in the chain, as readable problems; empty when intact."""
    problems = []
    anchor = AuditAnchor.objects.order_by("-pruned_through_id").first()
    previous = anchor.last_hash if anchor else GENESIS
    last_id = anchor.pruned_through_id if anchor else 0
    subjects: dict[int, list[int]] = {}
    for event_id, person_id in AuditSubject.objects.order_by("event_id", "person_id").values_list(
        "event_id", "person_id"
    ):
        subjects.setdefault(event_id, []).append(person_id)
    for event in AuditEvent.objects.order_by("id").iterator(2000):
        if event.id <= last_id:
            problems.append(
                f"event {event.id}: is before the pruned point {last_id} yet still there"
            )
            continue
        if event.previous_hash != previous:
            problems.append(f"event {event.id}: chain broken (previous hash does not match)")
        if event.compute_hash() != event.hash:
            problems.append(f"event {event.id}: content changed after it was written")
        if subjects.pop(event.id, []) != event.person_ids:
            problems.append(f"event {event.id}: its subject rows do not match its person ids")
        previous = event.hash
    for event_id in subjects:
        problems.append(f"subject rows name event {event_id}, which is not in the chain")
    return problems


MIN_RETENTION_DAYS = 365


def retention_days() -> int:
    """How long entries are kept: the setting, never under a year."""
    return max(MIN_RETENTION_DAYS, int(settings.CORESPONSE_AUDIT_RETENTION_DAYS))


@transaction.atomic
def prune(before: datetime | None = None) -> int:
    """Remove entries older than the retention period (never younger than a year), keeping an
    anchor so the rest still verifies. Returns how many were removed."""
    limit = timezone.now() - timedelta(days=retention_days())
    before = min(before or limit, limit)
    old = AuditEvent.objects.filter(at__lt=before).order_by("-id")
    newest = old.only("id", "hash").first()
    if newest is None:
        return 0
    ids = AuditEvent.objects.filter(id__lte=newest.id)
    count = ids.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger lets a delete through only inside a transaction that says it prunes.
            cursor.execute("SET LOCAL coresponse.audit_prune = 'on'")
    AuditSubject.objects.filter(event_id__lte=newest.id)._raw_delete(AuditSubject.objects.db)
    ids._raw_delete(AuditEvent.objects.db)
    AuditAnchor.objects.create(
        pruned_through_id=newest.id,
        last_hash=newest.hash,
        pruned_at=timezone.now(),
        pruned_count=count,
    )
    record(None, AuditAction.WRITE, "audit", newest.id, detail=f"pruned {count} entries")
    return count


# --- consent -------------------------------------------------------------------------------------


@transaction.atomic
def record_consent(
    *,
    person: Person,
    categories: Iterable[str],
    purposes: Iterable[str],
    signed_at: datetime,
    by,
    kind: str = ConsentKind.PART2,
    to_agency=None,
    to_class: str = "",
    expires_at: datetime | None = None,
    expiry_event: str = "",
    description: str = "",
    signed_by: str = "",
    document: bytes | None = None,
    document_type: str = "",
    external_id: str = "",
) -> Consent:
    """A consent the person signed; the discloser is the agency that holds the record."""
    categories, purposes = sorted(set(categories)), sorted(set(purposes))
    if not categories or not purposes:
        raise ValidationError("a consent names at least one data category and one purpose")
    consent = Consent(
        external_id=external_id or _next_id("CN"),
        kind=kind,
        person=person,
        from_agency_id=person.agency_id,
        to_agency=to_agency,
        to_class=to_class,
        categories=categories,
        purposes=purposes,
        description=description,
        signed_at=signed_at,
        signed_by=signed_by,
        expires_at=expires_at,
        expiry_event=expiry_event,
        document=document,
        document_type=document_type,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    consent.full_clean(exclude=["document"])
    consent.save()
    record(
        by,
        AuditAction.CONSENT,
        "consent",
        consent.pk,
        categories,
        f"{consent.get_kind_display()} signed {signed_at:%Y-%m-%d}: to {consent.recipient} "
        f"for {', '.join(purposes)}",
        person_ids=[person.pk],
    )
    forget(by)
    return consent


@transaction.atomic
def revoke_consent(consent: Consent, *, by, note: str = "", at: datetime | None = None) -> Consent:
    """Revocation takes effect at once: the next decision no longer sees the consent."""
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = at or timezone.now()
    locked.revoked_by = by if getattr(by, "is_authenticated", False) else None
    locked.revocation_note = note[:300]
    locked.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    record(
        by,
        AuditAction.CONSENT,
        "consent",
        locked.pk,
        detail=f"revoked: {note}"[:500],
        person_ids=[locked.person_id],
    )
    forget(by)
    return locked


# --- sharing agreements --------------------------------------------------------------------------


@transaction.atomic
def save_agreement(
    *,
    title: str,
    from_agency,
    to_agency,
    categories: Iterable[str],
    purposes: Iterable[str],
    effective_from,
    effective_to=None,
    document_ref: str = "",
    by=None,
    external_id: str = "",
) -> SharingAgreement:
    agreement = SharingAgreement(
        external_id=external_id or _next_id("MOU"),
        title=title,
        from_agency=from_agency,
        to_agency=to_agency,
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        effective_from=effective_from,
        effective_to=effective_to,
        document_ref=document_ref,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    agreement.full_clean()
    agreement.save()
    record(
        by,
        AuditAction.AGREEMENT,
        "agreement",
        agreement.pk,
        sorted(set(categories)),
        f"{title}: {from_agency} -> {to_agency} from {effective_from}",
    )
    forget_terms()
    forget(by)
    return agreement


# --- break-glass ---------------------------------------------------------------------------------


def may_break_glass(user) -> bool:
    """A clinician, paramedic or supervisor of an agency outside law enforcement."""
    if not getattr(user, "is_authenticated", False):
        return False
    return any(
        m.role in BREAK_GLASS_ROLES and m.agency.kind != AgencyKind.LAW_ENFORCEMENT
        for m in access(user).memberships
    )


@transaction.atomic
def break_glass(user, person: Person, justification: str) -> BreakGlass:
    """Open a record in an emergency: time-limited, audited, queued for an auditor's review."""
    justification = " ".join(justification.split())
    if len(justification) < JUSTIFICATION_MIN:
        raise ValidationError(
            f"say in at least {JUSTIFICATION_MIN} characters why this emergency needs the record"
        )
    if not may_break_glass(user):
        raise PermissionDenied(
            "break-glass is for clinicians, paramedics and supervisors outside law enforcement"
        )
    now = timezone.now()
    grant = BreakGlass.objects.create(
        user=user,
        person=person,
        justification=justification,
        opened_at=now,
        expires_at=now + timedelta(minutes=settings.CORESPONSE_BREAK_GLASS_MINUTES),
    )
    record(
        user,
        AuditAction.BREAK_GLASS,
        "person",
        person.pk,
        detail=f"opened until {timezone.localtime(grant.expires_at):%H:%M}: {justification}",
        person_ids=[person.pk],
        reason="break-glass",
    )
    forget(user)
    return grant


@transaction.atomic
def review_break_glass(grant: BreakGlass, *, by, outcome: str, note: str = "") -> BreakGlass:
    if not by.memberships.filter(role=Role.AUDITOR).exists():
        raise PermissionDenied("only an auditor reviews break-glass openings")
    if grant.user_id == by.pk:
        raise PermissionDenied("nobody reviews their own break-glass opening")
    locked = BreakGlass.objects.select_for_update().get(pk=grant.pk)
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.review_outcome, locked.review_note = outcome, note[:500]
    locked.full_clean()
    locked.save(update_fields=["reviewed_by", "reviewed_at", "review_outcome", "review_note"])
    record(
        by,
        AuditAction.BREAK_GLASS,
        "break_glass",
        locked.pk,
        detail=f"reviewed: {outcome}. {note}"[:500],
        person_ids=[locked.person_id],
    )
    return locked


def _next_id(prefix: str) -> str:
    """A readable, unique id: CN-20261201-7F3A9C (the local day, then random hex)."""
    return f"{prefix}-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
