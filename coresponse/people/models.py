"""Person records, each owned by exactly one agency, and the links between records of one human."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Agency


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class RaceEthnicity(models.TextChoices):
    AMERICAN_INDIAN_ALASKA_NATIVE = "american_indian_alaska_native", "American Indian/Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black/African American"
    HISPANIC_LATINO = "hispanic_latino", "Hispanic/Latino"
    NATIVE_HAWAIIAN_PACIFIC_ISLANDER = (
        "native_hawaiian_pacific_islander",
        "Native Hawaiian/Pacific Islander",
    )
    WHITE = "white", "White"
    MULTIRACIAL = "multiracial", "Multiracial"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Person(models.Model):
    """One agency's record of a person. Agencies never share a mutable record (see IdentityLink)."""

    external_id = models.CharField(max_length=64, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="persons")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    dob = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, choices=Sex.choices, blank=True)
    race_ethnicity = models.CharField(max_length=40, choices=RaceEthnicity.choices, blank=True)
    language = models.CharField(max_length=40, blank=True)
    veteran = models.BooleanField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["agency", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"Unnamed person {self.external_id}"


class LinkStatus(models.TextChoices):
    AUTO = "auto", "Linked automatically"
    CONFIRMED = "confirmed", "Confirmed by a person"
    REJECTED = "rejected", "Rejected by a person"


class IdentityLink(models.Model):
    """Two records (of different agencies) that belong to the same human; stored once per pair."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    status = models.CharField(max_length=16, choices=LinkStatus.choices, default=LinkStatus.AUTO)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="identity_link_once"),
            # Canonical order keeps (a, b) and (b, a) from both existing.
            models.CheckConstraint(
                condition=Q(person_a__lt=F("person_b")), name="identity_link_ordered"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="identity_link_score_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a} ~ {self.person_b} ({self.get_status_display()})"
