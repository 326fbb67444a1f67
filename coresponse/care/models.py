"""After the crisis: referrals, follow-ups, safety plans, long-term enrollments, the directory."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Agency, Program
from coresponse.field.models import Encounter
from coresponse.people.models import Person


class ServiceType(models.TextChoices):
    CRISIS_STABILIZATION = "crisis_stabilization", "Crisis stabilization unit"
    DETOX = "detox", "Withdrawal management (detox)"
    SHELTER = "shelter", "Shelter"
    OUTPATIENT_MENTAL_HEALTH = "outpatient_mental_health", "Outpatient mental health"
    SUBSTANCE_USE_TREATMENT = "substance_use_treatment", "Substance-use treatment"
    PEER_SUPPORT = "peer_support", "Peer support"
    CASE_MANAGEMENT = "case_management", "Case management"
    PSYCHIATRY = "psychiatry", "Psychiatry / medication"
    FOOD = "food", "Food"
    HOUSING = "housing", "Housing"
    VETERANS = "veterans", "Veterans' services"
    YOUTH = "youth", "Youth services"
    PRIMARY_CARE = "primary_care", "Primary care"


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    NO_SHOW = "no_show", "No-show"
    CLOSED = "closed", "Closed"


REFERRAL_OPEN_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.RECEIVED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.SCHEDULED,
)
REFERRAL_FINAL_STATUSES = (
    ReferralStatus.COMPLETED,
    ReferralStatus.DECLINED,
    ReferralStatus.NO_SHOW,
    ReferralStatus.CLOSED,
)
# The time each status stamps on the referral (sent_at is stamped when it is made).
REFERRAL_STEP_STAMPS = (
    "received_at",
    "accepted_at",
    "scheduled_at",
    "completed_at",
    "declined_at",
    "no_show_at",
)
REFERRAL_STAMPS = {
    ReferralStatus.RECEIVED: "received_at",
    ReferralStatus.ACCEPTED: "accepted_at",
    ReferralStatus.SCHEDULED: "scheduled_at",
    ReferralStatus.COMPLETED: "completed_at",
    ReferralStatus.DECLINED: "declined_at",
    ReferralStatus.NO_SHOW: "no_show_at",
    ReferralStatus.CLOSED: "closed_at",
}


class Referral(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    service_type = models.CharField(max_length=40, choices=ServiceType.choices)
    provider = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    sent_at = models.DateTimeField()
    # closed_at: when the loop closed, whatever the outcome (completed, declined, no-show or
    # closed); it is the time of that final step.
    closed_at = models.DateTimeField(null=True, blank=True)
    # The directory entry and the agency that receives it (its inbox); both blank for a
    # referral to a provider outside the directory (then `provider` names it).
    resource = models.ForeignKey(
        "Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_received"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    # What the person needs from the provider, in the referrer's words (filed under the
    # referral's data category, like the referral itself).
    note = models.CharField(max_length=500, blank=True)
    outcome_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("sent_at")),
                name="referral_closed_after_sent",
            ),
            # Each step's stamp is never before the referral was sent (the bundle checks the same
            # per row: interop.bundle.schema).
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{stamp}__isnull": True})
                    | Q(**{f"{stamp}__gte": F("sent_at")}),
                    name=f"referral_{stamp}_after_sent",
                )
                for stamp in REFERRAL_STEP_STAMPS
            ),
        ]
        indexes = [models.Index(fields=["to_agency", "status"])]

    def __str__(self) -> str:
        return f"{self.external_id} {self.get_service_type_display()} → {self.provider}"

    @property
    def is_open(self) -> bool:
        return self.status in REFERRAL_OPEN_STATUSES

    @property
    def last_step_at(self):
        """When the referral reached its current status."""
        if self.status == ReferralStatus.SENT:
            return self.sent_at
        return getattr(self, REFERRAL_STAMPS[self.status]) or self.sent_at


class ReferralStep(models.Model):
    """One step of a referral's loop: who moved it, when, on whose behalf, with what note."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The agency the step was recorded at: the provider in its inbox, or the referring agency
    # recording what the provider said on the phone.
    by_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["referral", "at", "id"]

    def __str__(self) -> str:
        return f"{self.referral.external_id} {self.get_status_display()} {self.at:%Y-%m-%d %H:%M}"


class FollowUpOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected to care"
    CONTACTED_NOT_CONNECTED = "contacted_not_connected", "Contacted, not connected"
    UNABLE_TO_REACH = "unable_to_reach", "Unable to reach"
    DECLINED = "declined", "Declined"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    VISIT = "visit", "Visit"


class FollowUp(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="followups")
    due_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=32, choices=FollowUpOutcome.choices, blank=True)
    # Who works it (the reminders go to them); blank: every case manager of the agency that
    # holds the person's record.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=16, choices=ContactMethod.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="") | Q(completed_at__isnull=False),
                name="followup_outcome_needs_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} due {self.due_at:%Y-%m-%d}"


class FollowUpAttempt(models.Model):
    """One try to reach the person: how, when, by whom, and what came of it."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=ContactMethod.choices)
    result = models.CharField(max_length=32, choices=FollowUpOutcome.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["followup", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.at:%Y-%m-%d %H:%M}: {self.get_result_display()}"


class SafetyPlan(models.Model):
    """A Stanley–Brown safety plan; responders see only what the person agreed to share."""

    SECTIONS = (
        "warning_signs",
        "internal_coping",
        "social_distractions",
        "people_to_ask_for_help",
        "professionals_to_contact",
        "making_environment_safe",
        "reasons_for_living",
    )
    SECTION_LABELS = {
        "warning_signs": "Warning signs",
        "internal_coping": "Things I can do on my own to take my mind off my problems",
        "social_distractions": "People and places that help me feel better",
        "people_to_ask_for_help": "People I can ask for help",
        "professionals_to_contact": "Professionals and agencies I can contact in a crisis",
        "making_environment_safe": "Making the environment safe",
        "reasons_for_living": "The one thing most important to me, worth living for",
    }
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="safety_plans")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sections = models.JSONField(default=dict)
    responder_highlights = models.TextField(blank=True)
    share_with_responders = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the person agreed responders may see (the crisis alert reads these through
    # care.selectors.responder_view): which sections, the de-escalation tips, who to call now.
    shared_sections = models.JSONField(default=list, blank=True)
    de_escalation_tips = models.TextField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_role = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The consent (privacy.Consent) the person signed to share the parts above with responders.
    consent_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Safety plan of {self.person}"


class Enrollment(models.Model):
    """Long-term behavioral-health care the person is engaged in."""

    external_id = models.CharField(max_length=64, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrollments")
    provider = models.CharField(max_length=200)
    service_type = models.CharField(max_length=40, choices=ServiceType.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrollment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.provider} from {self.start_date}"


class Eligibility(models.TextChoices):
    """Who a service takes, as searchable tags (the `eligibility` text says it in full)."""

    ADULTS = "adults", "Adults 18+"
    YOUTH = "youth", "Youth and young adults"
    FAMILIES = "families", "Families with children"
    WOMEN = "women", "Women"
    VETERANS = "veterans", "Veterans"
    SENIORS = "seniors", "Older adults"
    HOMELESS = "homeless", "People experiencing homelessness"
    SMI = "smi", "Serious mental illness"
    MEDICAID = "medicaid", "Takes Medicaid"
    UNINSURED = "uninsured", "Serves the uninsured"
    NO_ID = "no_id", "No ID required"
    WALK_IN = "walk_in", "Walk-in"


class Resource(models.Model):
    """A directory entry: a community service people can be referred to."""

    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=40, choices=ServiceType.choices)
    eligibility = models.TextField(blank=True)
    hours = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # The directory's own key (CSV import upserts by it); blank for entries made by hand.
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    description = models.TextField(blank=True)
    eligibility_tags = models.JSONField(default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # [{"days": [0, 1, 2, 3, 4], "open": "08:00", "close": "18:00"}], Monday = 0, local time;
    # a close before the open runs past midnight. Empty and not open_24_7: hours unknown.
    opening_hours = models.JSONField(default=list, blank=True)
    open_24_7 = models.BooleanField(default=False)
    # Capacity today: beds or slots open now, as the provider last said, and when.
    available_today = models.PositiveIntegerField(null=True, blank=True)
    available_updated_at = models.DateTimeField(null=True, blank=True)
    website = models.URLField(blank=True)
    languages = models.CharField(max_length=200, blank=True)
    # The agency that receives referrals to this service in its inbox (blank: outside
    # Coresponse; the referrer then records the provider's answers).
    provider_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="resource_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="resource_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="resource_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OutreachStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    MISSED = "missed", "Not found"
    CANCELLED = "cancelled", "Cancelled"


class OutreachVisit(models.Model):
    """A proactive, non-crisis visit planned for a person; once made it is an encounter of
    kind outreach."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="outreach_visits")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField(db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=OutreachStatus.choices, default=OutreachStatus.PLANNED
    )
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(encounter__isnull=False),
                name="outreach_done_has_encounter",
            )
        ]

    def __str__(self) -> str:
        return f"Outreach {self.scheduled_for:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class ReminderKind(models.TextChoices):
    FOLLOWUP_DUE = "followup_due", "Follow-up due today"
    FOLLOWUP_OVERDUE = "followup_overdue", "Follow-up overdue"
    REFERRAL_OVERDUE = "referral_overdue", "Referral waiting too long"


class Reminder(models.Model):
    """A nudge the background worker leaves for one user (care.tasks); shown on their home
    until dismissed or the work is done. One per user, kind and item."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    followup = models.ForeignKey(
        FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "followup"],
                condition=Q(followup__isnull=False),
                name="reminder_once_per_followup",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "referral"],
                condition=Q(referral__isnull=False),
                name="reminder_once_per_referral",
            ),
            models.CheckConstraint(
                condition=Q(followup__isnull=False) | Q(referral__isnull=False),
                name="reminder_has_an_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"
