"""Calls for service and the teams assigned to them."""

from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Program, Team


class CallSource(models.TextChoices):
    E911 = "911", "911"
    L988 = "988", "988"
    NON_EMERGENCY = "non_emergency", "Non-emergency line"
    OFFICER_INITIATED = "officer_initiated", "Officer-initiated"
    OUTREACH = "outreach", "Outreach"
    WALK_IN = "walk_in", "Walk-in"


class Call(models.Model):
    """A call for service. Priority 1 is the most urgent, 5 the least."""

    external_id = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=24, choices=CallSource.choices)
    call_type = models.CharField(max_length=120)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    district = models.CharField(max_length=60, blank=True)
    narrative = models.TextField(blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__isnull=True) | Q(priority__gte=1, priority__lte=5),
                name="call_priority_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="call_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="call_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.call_type}"


class AssignmentStatus(models.TextChoices):
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    CLEARED = "cleared", "Cleared"


class Assignment(models.Model):
    """A team sent to a call; each status change stamps its time."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.DISPATCHED
    )
    dispatched_at = models.DateTimeField()
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    officer_cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-dispatched_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(en_route_at__isnull=True) | Q(en_route_at__gte=F("dispatched_at")),
                name="assignment_en_route_after_dispatch",
            ),
            models.CheckConstraint(
                condition=Q(on_scene_at__isnull=True) | Q(on_scene_at__gte=F("dispatched_at")),
                name="assignment_on_scene_after_dispatch",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True)
                | Q(on_scene_at__isnull=True)
                | Q(cleared_at__gte=F("on_scene_at")),
                name="assignment_cleared_after_on_scene",
            ),
            models.CheckConstraint(
                condition=Q(officer_cleared_at__isnull=True)
                | Q(on_scene_at__isnull=True)
                | Q(officer_cleared_at__gte=F("on_scene_at")),
                name="assignment_officer_cleared_after_on_scene",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} on {self.call}"
