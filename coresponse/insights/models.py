"""The engine's fact tables: one narrow row per crisis encounter, and calls counted per day.

They are derived data, rebuilt from the records by `coresponse.insights.facts.refresh` (in one
transaction, so a reader sees the old tables or the new, never half), by the worker every few
minutes and whenever the engine sees rows it has not counted yet. No foreign-key constraints:
a derived row never blocks a change to the records it was derived from.
"""

from django.db import models


class EncounterFact(models.Model):
    """A crisis encounter as the metrics count it: its period time, population keys, outcomes
    (as booleans), durations in whole seconds, and its follow-ups and referrals counted."""

    encounter = models.OneToOneField(
        "field.Encounter",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The call's received_at; for an encounter without a call, when the team was dispatched or
    # arrived. ref_s is the same moment in seconds since 1970 (integer arithmetic for gaps).
    ref_at = models.DateTimeField(db_index=True)
    ref_s = models.BigIntegerField()
    ref_month = models.DateField(help_text="The first day of ref_at's local month.")
    program_id = models.IntegerField()
    call_id = models.IntegerField(null=True)
    team_id = models.IntegerField(null=True, help_text="The first team assigned to the call.")
    call_eligible = models.BooleanField(
        help_text="Triage recommended a co-responder or civilian team for the call."
    )
    source = models.CharField(max_length=24, blank=True)
    district = models.CharField(max_length=60, blank=True)
    person_id = models.IntegerField(null=True)
    agency_id = models.IntegerField(null=True, help_text="The agency holding the person record.")
    person_linked = models.BooleanField(
        default=False,
        help_text="The person record is in an identity link nobody rejected (maybe one of "
        "several records of a human: those are merged by people.identity.humans).",
    )
    race_ethnicity = models.CharField(max_length=40, blank=True)
    sex = models.CharField(max_length=16, blank=True)
    age_band = models.CharField(max_length=8, blank=True, help_text="Age on the day, '' unknown.")
    arrest = models.BooleanField()
    jail_booking = models.BooleanField()
    er_transport = models.BooleanField()
    hospital_admission = models.BooleanField()
    involuntary_hold = models.BooleanField()
    use_of_force = models.BooleanField()
    arrest_eligible = models.BooleanField()
    resolved_on_scene = models.BooleanField()
    service = models.BooleanField(help_text="At least one service was provided.")
    referred = models.BooleanField(help_text="At least one referral was sent.")
    officer_early = models.BooleanField(help_text="The officer cleared before the team.")
    response_s = models.IntegerField(null=True)
    on_scene_s = models.IntegerField(null=True)
    officer_saved_s = models.IntegerField(null=True)
    referrals_sent = models.IntegerField()
    referrals_completed = models.IntegerField()
    followups_completed = models.IntegerField()
    followups_connected = models.IntegerField()
    # Seconds to the same person record's next crisis encounter (any program), if any.
    next_gap_s = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["program_id", "ref_at"], name="insights_fact_program"),
            # The few facts of linked records, which the people counts read apart.
            models.Index(
                fields=["ref_at"],
                condition=models.Q(person_linked=True),
                name="insights_fact_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"fact of encounter {self.encounter_id}"


class FactDay(models.Model):
    """The encounter facts rolled up per local day, program, first team, call source and
    district: what the engine sums for a question of whole days that no person-level filter
    (agency, race/ethnicity, sex, age band) narrows. Rebuilt with the facts, from the facts
    (insights.facts.OUTCOME_COUNTS names every count), so the two always agree."""

    day = models.DateField(db_index=True)
    month = models.DateField(help_text="The first day of the day's month.")
    program_id = models.IntegerField()
    team_id = models.IntegerField(null=True)
    source = models.CharField(max_length=24, blank=True)
    district = models.CharField(max_length=60, blank=True)
    total = models.IntegerField()
    no_arrest = models.IntegerField()
    arrests = models.IntegerField()
    resolved = models.IntegerField()
    served = models.IntegerField()
    er = models.IntegerField()
    holds = models.IntegerField()
    admissions = models.IntegerField()
    bookings = models.IntegerField()
    no_hospital = models.IntegerField()
    no_er_no_jail = models.IntegerField()
    force = models.IntegerField()
    early = models.IntegerField()
    saved_s = models.BigIntegerField()
    eligible = models.IntegerField()
    diverted = models.IntegerField()
    eligible_no_arrest = models.IntegerField()
    repeats = models.IntegerField()
    fu_completed = models.IntegerField()
    fu_connected = models.IntegerField()
    ref_sent = models.IntegerField()
    ref_completed = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.day}: {self.total} crisis encounters"


class CallDay(models.Model):
    """Calls received on one local day, per program, source, district, first team and whether
    triage recommended a co-responder or civilian team."""

    day = models.DateField(db_index=True)
    program_id = models.IntegerField(null=True)
    source = models.CharField(max_length=24, blank=True)
    district = models.CharField(max_length=60, blank=True)
    team_id = models.IntegerField(null=True)
    eligible = models.BooleanField()
    calls = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.day}: {self.calls} calls"


class FactRefresh(models.Model):
    """One rebuild of the fact tables: when, how long, and what it had seen of the records."""

    finished_at = models.DateTimeField()
    seconds = models.FloatField()
    encounters = models.IntegerField()
    call_days = models.IntegerField()
    # The newest id of each source table at the rebuild (see facts.fingerprint).
    fingerprint = models.JSONField()

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"facts refreshed {self.finished_at:%Y-%m-%d %H:%M}"


class Snapshot(models.Model):
    """An answer computed ahead of time for one rebuild of the facts (insights.memo)."""

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of the question
    version = models.CharField(max_length=40, help_text="The rebuild it was computed from.")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"snapshot {self.key[:12]} of rebuild {self.version}"
