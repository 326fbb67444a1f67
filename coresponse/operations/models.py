"""Running the program: training, money, stakeholders, debriefs and stories."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresponse.agencies.models import Program
from coresponse.field.models import Encounter


class Course(models.TextChoices):
    CIT = "cit", "Crisis Intervention Team (40 h)"
    MHFA = "mhfa", "Mental Health First Aid"
    DE_ESCALATION = "de_escalation", "De-escalation"
    SUICIDE_PREVENTION = "suicide_prevention", "Suicide prevention (QPR/ASIST)"
    TRAUMA_INFORMED = "trauma_informed", "Trauma-informed care"


class TrainingRecord(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_records"
    )
    course = models.CharField(max_length=32, choices=Course.choices)
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("completed_on")),
                name="training_expires_after_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_course_display()} {self.completed_on}"


class FundingSource(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=24,
        choices=[
            ("federal", "Federal grant"),
            ("state", "State grant"),
            ("county", "County general fund"),
            ("city", "City general fund"),
            ("medicaid", "Medicaid"),
            ("foundation", "Foundation"),
            ("opioid_settlement", "Opioid settlement"),
        ],
    )

    def __str__(self) -> str:
        return self.name


class Budget(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="budgets")
    funding_source = models.ForeignKey(FundingSource, on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The days the budget covers. Unset: the calendar year `fiscal_year` (a funder whose year
    # runs July to June, or October to September, sets both).
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_not_negative"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True, ends_on__isnull=True)
                | Q(starts_on__isnull=False, ends_on__isnull=False, ends_on__gte=F("starts_on")),
                name="budget_period_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} FY{self.fiscal_year} {self.funding_source}"

    @property
    def first_day(self) -> date:
        return self.starts_on or date(self.fiscal_year, 1, 1)

    @property
    def last_day(self) -> date:
        return self.ends_on or date(self.fiscal_year, 12, 31)


class Expenditure(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="expenditures")
    spent_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    description = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"{self.spent_on} {self.description} ${self.amount}"


class GrantApplication(models.Model):
    funding_source = models.ForeignKey(FundingSource, on_delete=models.PROTECT)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="grants")
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16,
        choices=[
            ("drafting", "Drafting"),
            ("submitted", "Submitted"),
            ("awarded", "Awarded"),
            ("declined", "Declined"),
        ],
        default="drafting",
    )
    due_on = models.DateField(null=True, blank=True)
    requested = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    awarded = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    def __str__(self) -> str:
        return self.title


def _share(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": 1})


class CostModel(models.Model):
    """A program's unit costs and counterfactual assumptions for the cost-avoidance model.

    Every field left empty takes the documented default (coresponse.insights.costs.DEFAULTS,
    with its published source, in docs/metrics.md); money is in `currency`.
    """

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="cost_model")
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code.")
    jail_booking = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    er_visit = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    inpatient_day = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    ambulance_transport = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True
    )
    officer_hour = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # Counterfactual assumptions: what a police-only response would have led to.
    booking_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Of arrest-eligible encounters ending without arrest, the share a police-only "
        "response would have booked into jail.",
    )
    er_diversion_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Of crisis encounters, the share that would otherwise have gone to an ER.",
    )
    baseline_hold_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="The involuntary-hold rate of crisis calls before the program.",
    )
    hold_days = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Inpatient days of one involuntary hold.",
    )
    ambulance_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Of ER visits avoided, the share that would have gone by ambulance.",
    )
    co_responders = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Co-responders to divide cost avoided by; empty: the clinicians, paramedics "
        "and peer specialists on the program's teams.",
    )
    sources = models.TextField(blank=True, help_text="Where the local figures come from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"cost_model_{name}_not_negative",
                )
                for name in (
                    "jail_booking",
                    "er_visit",
                    "inpatient_day",
                    "ambulance_transport",
                    "officer_hour",
                    "hold_days",
                )
            ),
            *(
                models.CheckConstraint(condition=_share(name), name=f"cost_model_{name}_0_1")
                for name in (
                    "booking_share",
                    "er_diversion_share",
                    "baseline_hold_rate",
                    "ambulance_share",
                )
            ),
        ]

    def __str__(self) -> str:
        return f"Cost model of {self.program}"


class Stakeholder(models.Model):
    name = models.CharField(max_length=200)
    organization = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    stakeholders = models.ManyToManyField(Stakeholder, blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"


class Debrief(models.Model):
    """A critical-incident debrief or wellness check-in for responders."""

    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL)
    held_at = models.DateTimeField()
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True)
    wellness_check = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Debrief {self.held_at:%Y-%m-%d %H:%M}"


class Story(models.Model):
    """A de-identified success story; published only with the person's consent."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(max_length=200)
    text = models.TextField()
    publication_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title
