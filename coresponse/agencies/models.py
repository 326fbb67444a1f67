"""Agencies, programs, accounts and roles, teams and shifts: the ground everything stands on."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django_otp.models import Device


class AgencyKind(models.TextChoices):
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    EMS = "ems", "EMS"
    FIRE = "fire", "Fire"
    HOSPITAL = "hospital", "Hospital"
    PSAP = "psap", "911 PSAP"
    CRISIS_LINE_988 = "crisis_line_988", "988 crisis line"
    COMMUNITY_PROVIDER = "community_provider", "Community provider"


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", "Dispatcher / call-taker"
    OFFICER = "officer", "Officer"
    CLINICIAN = "clinician", "Clinician"
    PARAMEDIC = "paramedic", "Paramedic"
    PEER_SPECIALIST = "peer_specialist", "Peer specialist"
    CASE_MANAGER = "case_manager", "Case manager"
    SUPERVISOR = "supervisor", "Supervisor"
    PROGRAM_MANAGER = "program_manager", "Program manager"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    AUDITOR = "auditor", "Auditor"


class ProgramModel(models.TextChoices):
    RIDE_ALONG = "ride_along", "Ride-along co-responder"
    ON_CALL = "on_call", "On-call clinician"
    CIVILIAN_TEAM = "civilian_team", "Civilian team (no police)"
    THREE_PERSON_TEAM = "three_person_team", "Three-person team"
    EMS_FIRE = "ems_fire", "Co-responders with EMS/fire"
    SPECIALISED = "specialised", "Specialised unit"


class FocusPopulation(models.TextChoices):
    GENERAL = "general", "General"
    YOUTH = "youth", "Youth"
    VETERANS = "veterans", "Veterans"
    HOMELESSNESS = "homelessness", "People experiencing homelessness"
    SUBSTANCE_USE = "substance_use", "Substance use"


class Agency(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """A co-responder program; a deployment runs several at once."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    model = models.CharField(max_length=32, choices=ProgramModel.choices)
    focus_population = models.CharField(
        max_length=32, choices=FocusPopulation.choices, default=FocusPopulation.GENERAL
    )
    agencies = models.ManyToManyField(Agency, related_name="programs")
    # [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "22:00"}]; empty means 24/7.
    service_hours = models.JSONField(default=list, blank=True)
    # {"jail_booking": 1800, "er_visit": 2400, ...} in dollars, for the cost model.
    unit_costs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in; what they may do comes from their memberships."""

    def roles(self) -> set[str]:
        return {m.role for m in self.memberships.all()}

    def agency_ids(self) -> set[int]:
        return {m.agency_id for m in self.memberships.all()}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.agency}"


class TeamKind(models.TextChoices):
    RIDE_ALONG_PAIR = "ride_along_pair", "Ride-along pair (officer + clinician)"
    ON_CALL_CLINICIAN = "on_call_clinician", "On-call clinician"
    CIVILIAN_PAIR = "civilian_pair", "Civilian pair (clinician + medic)"
    THREE_PERSON = "three_person", "Three-person team (paramedic + clinician + peer)"


class Team(models.Model):
    """A unit that can be dispatched; members may come from several agencies."""

    name = models.CharField(max_length=100)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="teams")
    kind = models.CharField(max_length=32, choices=TeamKind.choices)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["program__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="team_name_unique_in_program")
        ]

    def __str__(self) -> str:
        return self.name


class ShiftMode(models.TextChoices):
    ON_DUTY = "on_duty", "On duty"
    ON_CALL = "on_call", "On call"


class Shift(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shifts")
    mode = models.CharField(max_length=16, choices=ShiftMode.choices, default=ShiftMode.ON_DUTY)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got, so a retried request is answered
    with the first response instead of being carried out twice (API writes, offline sync)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=100, help_text="The endpoint, e.g. 'calls.create'.")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


# --- accounts: second factors, sign-in lockout, API tokens (docs/security.md) --------------------


class MfaRequirement(models.Model):
    """A role at an agency whose members must sign in with a second factor (an authenticator
    app or a passkey). A member without one is walked through enrolment right after the
    password; until then they reach nothing but the enrolment pages."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="mfa_requirements")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name", "role"]
        verbose_name = "second-factor requirement"
        constraints = [
            models.UniqueConstraint(fields=["agency", "role"], name="mfa_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} at {self.agency} must use a second factor"


class SignInThrottle(models.Model):
    """Consecutive failed sign-ins under one username, and the lock they led to.

    Kept per username whether or not such an account exists, so a lockout never tells an
    outsider which names are real; the name is kept only as a keyed hash (`digest`), since a
    password typed into the username box must not be stored. `user` names the account when
    there is one. A success clears the count; an administrator can unlock at any time.
    """

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    failures = models.PositiveSmallIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failure_at"]
        verbose_name = "failed sign-in count"

    def __str__(self) -> str:
        return f"{self.user or 'unknown username'}: {self.failures} failed"


class ApiToken(models.Model):
    """A short-lived personal API token (`coresponse token USERNAME`), sent as
    `Authorization: Bearer <token>`. Only the SHA-256 of the token is stored; `prefix` (its
    first characters) tells tokens apart in lists without revealing them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="api_token_expires_after_created"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Passkey(Device):
    """A WebAuthn credential (a passkey, a security key) registered as a second factor.

    A django-otp device, so a sign-in verified with it counts like one verified with an
    authenticator app (`request.user.is_verified()`); it never verifies a typed code."""

    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url")
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backed_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def verify_token(self, token) -> bool:
        return False
