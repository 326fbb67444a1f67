"""After the crisis: referrals, follow-ups, safety plans, long-term enrollments, the directory."""

from django.db import models
from django.db.models import F, Q

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
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("sent_at")),
                name="referral_closed_after_sent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.get_service_type_display()} → {self.provider}"


class FollowUpOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected to care"
    CONTACTED_NOT_CONNECTED = "contacted_not_connected", "Contacted, not connected"
    UNABLE_TO_REACH = "unable_to_reach", "Unable to reach"
    DECLINED = "declined", "Declined"


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
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="safety_plans")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sections = models.JSONField(default=dict)
    responder_highlights = models.TextField(blank=True)
    share_with_responders = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
