"""Calls for service, their triage, and the teams, page-outs and hand-offs that answer them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Agency, Program, Team


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
    # Indexed where given (call_program_given, call_created_by_given): imported calls have
    # neither, and a full index would hold an entry for each of them.
    program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        db_index=False,
    )
    caller_name = models.CharField(max_length=200, blank=True)
    # Digits only (see dispatch.services.intake), so repeat callers are found by equality.
    caller_phone = models.CharField(max_length=20, blank=True, db_index=True)
    frequent_caller = models.BooleanField(
        default=False, help_text="N or more calls from this number in the window, at intake."
    )
    # The client's Idempotency-Key of the API request that created the call: a retry finds it.
    # Unique where given (call_idempotency_key_unique): imported calls have none.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["program"], condition=Q(program__isnull=False), name="call_program_given"
            ),
            models.Index(
                fields=["created_by"],
                condition=Q(created_by__isnull=False),
                name="call_created_by_given",
            ),
        ]
        constraints = [
            # A partial index: a unique index on every call would hold an entry for each
            # imported call's empty key (a second of a 500,000-call import on SQLite).
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="call_idempotency_key_unique",
            ),
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
    CLEARING = "clearing", "Clearing"  # the officer is back on patrol; the clinician stays
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


class Recommendation(models.TextChoices):
    CO_RESPONDER = "co_responder", "Co-responder team"
    CIVILIAN_TEAM = "civilian_team", "Civilian crisis team"
    CLINICIAN_PHONE = "clinician_phone", "Clinician by phone"
    TRANSFER_988 = "988_transfer", "Transfer to 988"
    POLICE_ONLY = "police_only", "Police only"
    EMS = "ems", "EMS"


class TriageProtocol(models.Model):
    """A program's dispatch criteria. Its rules live in versions; the newest version is in force.

    Editing a protocol adds a version and never changes an old one, so every call's triage can
    be explained by the exact rules that produced it.
    """

    external_id = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="protocols"
    )
    is_active = models.BooleanField(
        default=False, help_text="The protocol that triages the program's new calls."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(is_active=True),
                name="one_active_protocol_per_program",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProtocolVersion(models.Model):
    """One immutable version of a protocol's rules (the document of dispatch.triage)."""

    protocol = models.ForeignKey(TriageProtocol, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    note = models.CharField(max_length=300, blank=True, help_text="What changed, and why.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"


class TriageReason(models.Model):
    """Why a protocol decided as it did: the rules that fired and the sentence that says why.

    Calls share them (a year of a city's calls, a few hundred), so each is stored once and a
    call's result points to it: a 500,000-call import writes 30 MB of results, not 100."""

    fired = models.JSONField(default=list, help_text="Ids of the rules that fired, in order.")
    explanation = models.CharField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["explanation", "fired"], name="triage_reason_unique")
        ]

    def __str__(self) -> str:
        return self.explanation


class RowKey(models.OneToOneField):
    """A one-to-one key that is its table's primary key and, on SQLite, the row's own key
    (`integer PRIMARY KEY` names the rowid; the `bigint` a key to a BigAutoField is declared
    as makes a hidden rowid and a second B-tree of the keys, kept up at every insert)."""

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class TriageResult(models.Model):
    """What the protocol in force recommended for a call, the rules that fired, and why.

    Keyed by the call: one row per call in one B-tree (on SQLite the call id is the rowid),
    the least an import of many calls writes."""

    call = RowKey(Call, primary_key=True, on_delete=models.CASCADE, related_name="triage")
    version = models.ForeignKey(
        ProtocolVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="results"
    )
    recommendation = models.CharField(max_length=24, choices=Recommendation.choices)
    # No index: reasons are never deleted, and nothing asks for the calls of one.
    reason = models.ForeignKey(
        TriageReason, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    triaged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.call}: {self.get_recommendation_display()}"

    @property
    def fired(self) -> list[str]:
        return self.reason.fired

    @property
    def explanation(self) -> str:
        return self.reason.explanation


class PageOut(models.Model):
    """An on-call clinician paged for an assignment, and when they acknowledged."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="page_outs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="page_outs"
    )
    paged_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-paged_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("paged_at")),
                name="page_out_acknowledged_after_paged",
            )
        ]

    def __str__(self) -> str:
        return f"Page to {self.user} for {self.assignment}"


class HandoffState(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    CONNECTED = "connected", "Connected"
    BOUNCED_BACK = "bounced_back", "Bounced back"


class Handoff(models.Model):
    """A warm transfer of a caller to 988 or a crisis line; each state is stamped.

    A bounced-back hand-off returns the call to the dispatch queue, so no caller is dropped
    between two systems.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="handoffs")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="handoffs")
    state = models.CharField(
        max_length=16, choices=HandoffState.choices, default=HandoffState.OFFERED
    )
    offered_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    bounced_back_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-offered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(accepted_at__gte=F("offered_at")),
                name="handoff_accepted_after_offered",
            ),
            models.CheckConstraint(
                condition=Q(connected_at__isnull=True) | Q(connected_at__gte=F("offered_at")),
                name="handoff_connected_after_offered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} to {self.to_agency} ({self.get_state_display()})"
