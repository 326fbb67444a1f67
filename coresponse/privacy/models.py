"""Trust: consent, sharing agreements, break-glass openings, and the append-only audit chain.

Who may see what is decided by one function, `privacy.policy.decide`, from these records.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from coresponse.agencies.models import Agency
from coresponse.people.models import Person


def covering(field: str, code: str) -> Q:
    """Rows whose JSON list `field` holds `code` (portable: a quoted-text match on the list,
    which SQLite and PostgreSQL both run; codes are fixed words, so no false hit)."""
    return Q(**{f"{field}__icontains": f'"{code}"'})


class Purpose(models.TextChoices):
    """Why data is used: a consent and an agreement name the purposes they allow."""

    TREATMENT = "treatment", "Treatment"
    CARE_COORDINATION = "care_coordination", "Care coordination"
    EMERGENCY_RESPONSE = "emergency_response", "Emergency response"
    OPERATIONS = "operations", "Program operations and evaluation"
    AUDIT = "audit", "Audit and oversight"
    # Never a lawful purpose for substance-use records (42 CFR 2.12(d)); named so it can be refused.
    CRIMINAL_INVESTIGATION = "criminal_investigation", "Criminal investigation or charge"


class ConsentKind(models.TextChoices):
    PART2 = "part2", "42 CFR Part 2 consent"
    HIPAA = "hipaa", "HIPAA authorization"
    PROGRAM = "program", "Program release of information"


class RecipientClass(models.TextChoices):
    """A class of recipients a consent may name instead of one agency (42 CFR 2.31(a)(4))."""

    TREATING_PROVIDERS = "treating_providers", "My treating providers"
    CRISIS_RESPONDERS = "crisis_responders", "Crisis responders (police, EMS, fire, 911, 988)"
    PROGRAM_PARTNERS = "program_partners", "The partner agencies of my co-responder program"


class Consent(models.Model):
    """A person's written consent to disclose their record, with the elements of 42 CFR 2.31.

    Active from signed_at until expires_at (or the expiry event, recorded by revoking), unless
    revoked; revocation takes effect at once.
    """

    external_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=ConsentKind.choices, default=ConsentKind.PART2)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    from_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="consents_given",
        help_text="Who discloses: the agency whose record this is.",
    )  # fmt: skip
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="consents_received"
    )
    to_class = models.CharField(max_length=32, choices=RecipientClass.choices, blank=True)
    # Data categories and purposes as lists of their codes (`covering` finds them in SQL).
    categories = models.JSONField(default=list)
    purposes = models.JSONField(default=list)
    description = models.CharField(
        max_length=500, blank=True, help_text="How much and what kind of information, in words."
    )
    signed_at = models.DateTimeField()
    signed_by = models.CharField(
        max_length=200, blank=True, help_text="The person, or their legal representative."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_event = models.CharField(
        max_length=200, blank=True, help_text='An event that ends it, e.g. "discharge".'
    )
    revocation_explained = models.BooleanField(
        default=True, help_text="The person was told they may revoke it at any time."
    )
    # The signed form: a signature drawn on a phone or tablet (PNG) or an uploaded scan (PDF).
    document = models.BinaryField(null=True, blank=True, editable=False)
    document_type = models.CharField(max_length=40, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            # Exactly one recipient: an agency or a class.
            models.CheckConstraint(
                condition=(Q(to_agency__isnull=False) & Q(to_class=""))
                | (Q(to_agency__isnull=True) & ~Q(to_class="")),
                name="consent_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("signed_at")),
                name="consent_expires_after_signed",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("signed_at")),
                name="consent_revoked_after_signed",
            ),
            # 42 CFR 2.31(a)(6): an expiration date, event or condition is required.
            models.CheckConstraint(
                condition=Q(expires_at__isnull=False) | ~Q(expiry_event=""),
                name="consent_has_an_expiry",
            ),
        ]
        indexes = [models.Index(fields=["person", "revoked_at"])]

    def __str__(self) -> str:
        return f"Consent {self.external_id} ({self.get_kind_display()})"

    @property
    def recipient(self) -> str:
        return self.to_agency.name if self.to_agency_id else self.get_to_class_display()

    def state_at(self, at) -> str:
        if self.revoked_at is not None and self.revoked_at <= at:
            return "revoked"
        if self.signed_at > at:
            return "not yet signed"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"


class SharingAgreement(models.Model):
    """The program's MOU between two agencies: which categories flow, for which purposes, when.

    One direction each: from_agency shares its records with to_agency."""

    external_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="shares_to")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="shares_from")
    categories = models.JSONField(default=list)
    purposes = models.JSONField(default=list)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    document_ref = models.CharField(
        max_length=200, blank=True, help_text="Where the signed MOU is."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["from_agency__name", "to_agency__name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_agency=F("to_agency")), name="agreement_between_two_agencies"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="agreement_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BreakGlass(models.Model):
    """An emergency opening of one record by one user: time-limited, justified, reviewed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glasses")
    justification = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_outcome = models.CharField(
        max_length=16,
        blank=True,
        choices=[("appropriate", "Appropriate"), ("inappropriate", "Inappropriate")],
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name_plural = "break-glass openings"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("opened_at")), name="break_glass_expires_after_opened"
            ),
            models.CheckConstraint(
                condition=(Q(reviewed_at__isnull=True) & Q(review_outcome=""))
                | (Q(reviewed_at__isnull=False) & ~Q(review_outcome="")),
                name="break_glass_review_complete",
            ),
        ]
        indexes = [models.Index(fields=["user", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} on {self.person_id} at {self.opened_at:%Y-%m-%d %H:%M}"


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    LOGIN = "login", "Sign-in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Sign-out"
    CONSENT = "consent", "Consent change"
    AGREEMENT = "agreement", "Agreement change"
    BREAK_GLASS = "break_glass", "Break-glass"
    ACCOUNT = "account", "Account change"
    LOOKUP = "lookup", "Crisis-alert lookup"


class AuditEvent(models.Model):
    """One entry of the append-only chain. `hash` covers the content and the previous hash, so
    a changed, removed or reordered entry breaks the chain (privacy.services.verify_chain).
    The database refuses UPDATE and DELETE (triggers; see the migration)."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(default=list, blank=True)
    # The person records the event disclosed or changed (for the accounting of disclosures).
    person_ids = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="The policy's basis.")
    detail = models.CharField(max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type} {self.object_id}"

    def payload(self) -> str:
        """What the hash covers: a JSON array of the content, the previous hash last."""
        return self.payload_head() + json.dumps(self.previous_hash) + "]"

    def payload_head(self) -> str:
        """The payload up to the previous hash (PostgreSQL appends it: privacy.services)."""
        content = [
            self.at.isoformat(),
            self.actor_id,
            self.action,
            self.object_type,
            self.object_id,
            self.categories,
            self.person_ids,
            self.purpose,
            self.reason,
            self.detail,
        ]
        return json.dumps(content, separators=(",", ":"))[:-1] + ","

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()


class AuditSubject(models.Model):
    """Which person records an audit event touched, one row each, so the accounting of
    disclosures of one person is an indexed lookup. Written with the event; the event's hash
    covers the same ids (AuditEvent.person_ids), so a removed or added row is detected."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects")
    person_id = models.BigIntegerField(db_index=True)  # no FK: the audit outlives the record

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person_id"], name="audit_subject_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> person {self.person_id}"


class AuditAnchor(models.Model):
    """Where the chain starts after old entries were pruned past their retention: the hash of
    the last pruned entry, so the first kept entry still verifies."""

    pruned_through_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    pruned_at = models.DateTimeField()
    pruned_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-pruned_through_id"]

    def __str__(self) -> str:
        return f"pruned through {self.pruned_through_id}"
