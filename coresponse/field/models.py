"""Encounters: one team's contact with one person, and what came of it."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Program
from coresponse.dispatch.models import Call
from coresponse.people.models import Person
from coresponse.privacy.categories import DataCategory


class EncounterKind(models.TextChoices):
    CRISIS = "crisis", "Crisis"
    FOLLOW_UP = "follow_up", "Follow-up"
    OUTREACH = "outreach", "Outreach"


class Disposition(models.TextChoices):
    RESOLVED_ON_SCENE = "resolved_on_scene", "Resolved on scene"
    REFERRED = "referred", "Referred"
    VOLUNTARY_TRANSPORT_CRISIS_CENTER = (
        "voluntary_transport_crisis_center",
        "Voluntary transport to crisis center",
    )
    VOLUNTARY_TRANSPORT_ER = "voluntary_transport_er", "Voluntary transport to ER"
    INVOLUNTARY_HOLD = "involuntary_hold", "Involuntary hold"
    ARREST = "arrest", "Arrest"
    CITATION = "citation", "Citation"
    REFUSED_SERVICES = "refused_services", "Refused services"
    UNABLE_TO_LOCATE = "unable_to_locate", "Unable to locate"
    TRANSFERRED_EMS = "transferred_ems", "Transferred to EMS"


class Service(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    DE_ESCALATION = "de_escalation", "De-escalation"
    CRISIS_COUNSELING = "crisis_counseling", "Crisis counseling"
    SAFETY_PLANNING = "safety_planning", "Safety planning"
    RESOURCE_INFORMATION = "resource_information", "Resource information"
    REFERRAL = "referral", "Referral"
    TRANSPORT = "transport", "Transport"
    MEDICAL_CARE = "medical_care", "Medical care"
    PEER_SUPPORT = "peer_support", "Peer support"
    BASIC_NEEDS = "basic_needs", "Basic needs (food, shelter, clothing)"
    FAMILY_SUPPORT = "family_support", "Family support"
    MEDICATION_SUPPORT = "medication_support", "Medication support"


class Concern(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "Suicidal ideation"
    PSYCHOSIS = "psychosis", "Psychosis"
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety / panic"
    SUBSTANCE_USE = "substance_use", "Substance use"
    DEMENTIA = "dementia", "Dementia / confusion"
    DEVELOPMENTAL = "developmental", "Developmental disability"
    FAMILY_CONFLICT = "family_conflict", "Family conflict"
    HOMELESSNESS = "homelessness", "Homelessness"
    WELFARE = "welfare", "Welfare concern"


class Encounter(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="encounters"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="encounters"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="encounters")
    kind = models.CharField(max_length=16, choices=EncounterKind.choices)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    officer_cleared_at = models.DateTimeField(null=True, blank=True)
    presenting_concerns = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True)
    disposition = models.CharField(max_length=40, choices=Disposition.choices, blank=True)
    arrest = models.BooleanField(default=False)
    citation = models.BooleanField(default=False)
    jail_booking = models.BooleanField(default=False)
    er_transport = models.BooleanField(default=False)
    hospital_admission = models.BooleanField(default=False)
    involuntary_hold = models.BooleanField(default=False)
    use_of_force = models.BooleanField(default=False)
    weapon_present = models.BooleanField(default=False)
    injuries = models.BooleanField(default=False)
    arrest_eligible = models.BooleanField(default=False)
    # Edits from the field app and the staff UI: every save adds 1, so a device that edited an
    # older version is told so (a conflict to reconcile) instead of overwriting the newer one.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(null=True, blank=True)
    # The id the field app gave the record on the device: a record synced twice is one encounter.
    client_id = models.UUIDField(null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-on_scene_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_scene_at__isnull=True)
                | Q(dispatched_at__isnull=True)
                | Q(on_scene_at__gte=F("dispatched_at")),
                name="encounter_on_scene_after_dispatch",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True)
                | Q(on_scene_at__isnull=True)
                | Q(cleared_at__gte=F("on_scene_at")),
                name="encounter_cleared_after_on_scene",
            ),
            models.CheckConstraint(
                condition=Q(officer_cleared_at__isnull=True)
                | Q(on_scene_at__isnull=True)
                | Q(officer_cleared_at__gte=F("on_scene_at")),
                name="encounter_officer_cleared_after_on_scene",
            ),
            models.CheckConstraint(
                condition=Q(jail_booking=False) | Q(arrest=True),
                name="encounter_jail_booking_needs_arrest",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class EncounterNote(models.Model):
    """Free text of an encounter, filed under the data category that governs who may read it."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="notes")
    category = models.CharField(max_length=24, choices=DataCategory.choices)
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "category"], name="one_note_per_category")
        ]

    def __str__(self) -> str:
        # Never the text itself: admin lists and logs must not leak the note.
        return f"{self.get_category_display()} note on {self.encounter}"


class RevisionSource(models.TextChoices):
    FIELD_APP = "field_app", "Field app"
    RECONCILED = "reconciled", "Reconciled"


class EncounterRevision(models.Model):
    """One saved version of an encounter as the field app edits it: the fields and the notes
    (by data category) after the save. The base a device edited is looked up here, so a sync
    can tell what the device changed from what changed on the server meanwhile.

    The snapshot holds notes of every category: it is read only through
    `coresponse.field.selectors`, category by category, like the notes themselves."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    saved_at = models.DateTimeField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=RevisionSource.choices)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["encounter", "version"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "version"], name="encounter_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.encounter} v{self.version}"


class ConflictStatus(models.TextChoices):
    OPEN = "open", "Waiting to be reconciled"
    RESOLVED = "resolved", "Reconciled"


class EncounterConflict(models.Model):
    """A device sent changes to an encounter that was changed on the server since the device
    read it. Nothing was overwritten: both versions are kept here until a person reconciles
    them field by field (`coresponse.field.services.reconcile`)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="conflicts")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    base_version = models.PositiveIntegerField(help_text="The version the device edited.")
    server_version = models.PositiveIntegerField(help_text="The version on the server then.")
    base = models.JSONField(help_text="The snapshot the device started from.")
    server = models.JSONField(help_text="The server's snapshot when the device's changes came.")
    device = models.JSONField(help_text="What the device sent: only the parts it edits.")
    fields = models.JSONField(default=list, help_text="The keys whose values differ.")
    status = models.CharField(
        max_length=16, choices=ConflictStatus.choices, default=ConflictStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.JSONField(default=dict, blank=True, help_text="key -> server | device")
    resolved_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="resolved", resolved_at__isnull=False),
                name="encounter_conflict_resolution_stamped",
            )
        ]

    def __str__(self) -> str:
        return f"Conflict on {self.encounter} (v{self.base_version} vs v{self.server_version})"
