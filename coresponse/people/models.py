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
    # Blocking keys for finding the other records of the same human (people.normalize): kept
    # by every write (people.services, the bundle import), never typed by anyone.
    first_key = models.CharField(max_length=8, blank=True, default="", editable=False)
    last_key = models.CharField(max_length=8, blank=True, default="", editable=False)
    dob_key = models.CharField(max_length=8, blank=True, default="", editable=False)
    phone_key = models.CharField(max_length=16, blank=True, default="", editable=False)
    address_key = models.CharField(max_length=24, blank=True, default="", editable=False)
    # Conditions on the records an indexed key found (people.matching.key_queries).
    street_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    house_key = models.CharField(max_length=16, blank=True, default="", editable=False)
    postcode_key = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["agency", "last_name", "first_name"]),
            # Each blocking key leads an index; the columns after it are what a lookup checks
            # of the records the key finds (people.matching.key_queries), so that those checks
            # read the index alone. A shelter's address is shared by thousands: one index per
            # name code after it.
            models.Index(
                fields=["last_key", "first_key", "dob_key", "street_key", "id"],
                name="person_names_born_street",
            ),
            models.Index(
                fields=["dob_key", "last_key", "first_key", "id"], name="person_born_names"
            ),
            models.Index(
                fields=["phone_key", "last_key", "first_key", "id"], name="person_phone_names"
            ),
            models.Index(fields=["address_key", "last_key"], name="person_address_last_key"),
            models.Index(fields=["address_key", "first_key"], name="person_address_first_key"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"Unnamed person {self.external_id}"


class LinkStatus(models.TextChoices):
    AUTO = "auto", "Linked automatically"
    REVIEW = "review", "Waiting for review"
    CONFIRMED = "confirmed", "Confirmed by a person"
    REJECTED = "rejected", "Rejected by a person"


# The statuses that make two records one human (people.identity.humans).
LINKING_STATUSES = (LinkStatus.AUTO, LinkStatus.CONFIRMED)
# Decisions by people: no later run of the linker changes them.
DECIDED_STATUSES = (LinkStatus.CONFIRMED, LinkStatus.REJECTED)


class LinkSource(models.TextChoices):
    BATCH = "batch", "Batch linkage run"
    INCREMENTAL = "incremental", "Linked when the record was saved"
    IMPORT = "import", "Imported"
    REVIEWER = "reviewer", "Added by a reviewer"


class LinkModel(models.Model):
    """One trained version of the linkage model: the Fellegi-Sunter parameters (m and u
    probabilities of every comparison level, the prior) estimated from the data by expectation
    maximisation, and the thresholds it was run with. The newest version scores new records."""

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    backend = models.CharField(max_length=16)  # duckdb | spark | default (not trained)
    # {"prior": ..., "comparisons": [{"name", "levels": [{"label", "m", "u"}]}], "blocking": ...}
    parameters = models.JSONField()
    auto_threshold = models.FloatField()
    review_threshold = models.FloatField()
    records = models.PositiveIntegerField(default=0)  # records it was trained on
    summary = models.JSONField(default=dict, blank=True)  # timings, pairs, links by status

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_threshold__gte=0)
                & Q(review_threshold__lte=F("auto_threshold"))
                & Q(auto_threshold__lte=1),
                name="link_model_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Linkage model v{self.version} ({self.backend}, {self.created_at:%Y-%m-%d})"


class IdentityLink(models.Model):
    """Two records that belong to the same human (mostly of different agencies; a second record
    at one agency is linked too); stored once per pair, the smaller id first.

    `score` is the match probability of the model version `model` (1.0 for a link a reviewer
    made by hand); `weights` the match weight of each comparison, for the explanation."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    status = models.CharField(max_length=16, choices=LinkStatus.choices, default=LinkStatus.AUTO)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    model = models.ForeignKey(
        LinkModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    # [[comparison, level label, match weight], ...] as the model scored the pair.
    weights = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=16, choices=LinkSource.choices, default=LinkSource.BATCH)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-score"], name="identity_link_queue"),
            models.Index(fields=["person_b"], name="identity_link_person_b"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="identity_link_once"),
            # Canonical order keeps (a, b) and (b, a) from both existing.
            models.CheckConstraint(
                condition=Q(person_a__lt=F("person_b")), name="identity_link_ordered"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="identity_link_score_0_1"
            ),
            # A person's decision says when it was made.
            models.CheckConstraint(
                condition=Q(status__in=[LinkStatus.AUTO, LinkStatus.REVIEW])
                | Q(decided_at__isnull=False),
                name="identity_link_decision_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a} ~ {self.person_b} ({self.get_status_display()})"
