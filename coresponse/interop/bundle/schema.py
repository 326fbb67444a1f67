"""The exchange bundle, declared once: its files, their columns, and each column's type.

A column type both parses a CSV cell (raising ValueError with the reason) and formats a stored
value back into a cell, so import and export read from the same declaration and cannot drift.
The model CheckConstraints are re-expressed here as per-row checks, so bad rows are reported with
their line and column instead of failing the whole write with an IntegrityError.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone

from coresponse.agencies.models import Agency, AgencyKind, FocusPopulation, Program, ProgramModel
from coresponse.care.models import (
    REFERRAL_STEP_STAMPS,
    Enrollment,
    FollowUp,
    FollowUpOutcome,
    Referral,
    ReferralStatus,
    ServiceType,
)
from coresponse.dispatch.models import Call, CallSource
from coresponse.dispatch.services.intake import parse_phone
from coresponse.field.models import Concern, Disposition, Encounter, EncounterKind, Service
from coresponse.people import normalize
from coresponse.people.models import Person, RaceEthnicity, Sex
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import (
    Consent,
    ConsentKind,
    Purpose,
    RecipientClass,
    SharingAgreement,
)

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: where (file, physical line, column) and why."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.reason}"


class BundleError(Exception):
    """The bundle was not imported; `.problems` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- value types ---------------------------------------------------------------------------------


class Type:
    """A cell type. `parse` gets a non-blank cell (stripped unless `strip` is False)."""

    strip = True
    blank: Any = None

    def parse(self, text: str) -> Any:
        return text

    def format(self, value: Any) -> str:
        return "" if value is None else str(value)

    def known(self) -> dict[str, Any]:
        """Cell texts whose value is known without parsing (a fresh dict)."""
        return {}


class Text(Type):
    strip = False
    blank = ""


class Ident(Type):
    """An external id (stripped)."""

    blank = None


class Choice(Type):
    blank = ""

    def __init__(self, choices: type[models.TextChoices]):
        self.values = frozenset(choices.values)
        self.listing = ", ".join(choices.values)

    def parse(self, text):
        if text not in self.values:
            raise ValueError(f"{shown(text)} is not one of: {self.listing}")
        return text

    def known(self):
        return {value: value for value in self.values}


class ChoiceList(Choice):
    """A ;-separated list of choices, kept in the order given."""

    blank = ()

    def parse(self, text):
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        items = [item for item in items if item]
        bad = [item for item in items if item not in self.values]
        if bad:
            raise ValueError(f"{', '.join(map(shown, bad))} not one of: {self.listing}")
        if len(set(items)) != len(items):
            raise ValueError(f"lists {shown(_first_repeat(items))} twice")
        return items

    def format(self, value):
        return LIST_SEPARATOR.join(str(item) for item in value or ())

    def known(self):
        return {}  # a list is a fresh object per cell


class Integer(Type):
    PATTERN = re.compile(r"[+-]?\d+\Z")

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def parse(self, text):
        if not self.PATTERN.match(text):
            raise ValueError(f"{shown(text)} is not a whole number")
        value = int(text)
        if not self.low <= value <= self.high:
            raise ValueError(f"is {value}; must be from {self.low} to {self.high}")
        return value


class Float(Type):
    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def parse(self, text):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{shown(text)} is not a finite number")
        if not self.low <= value <= self.high:
            raise ValueError(f"is {text}; must be from {self.low:g} to {self.high:g}")
        return value

    def format(self, value):
        return "" if value is None else repr(float(value))


class Boolean(Type):
    """true/false (any case); blank is false."""

    blank = False

    VALUES = {"true": True, "false": False}

    def parse(self, text):
        value = self.VALUES.get(text)
        if value is None:
            value = self.VALUES.get(text.lower())
            if value is None:
                raise ValueError(f"{shown(text)} is not true or false")
        return value

    def format(self, value):
        return "true" if value else "false"

    def known(self):
        return dict(self.VALUES)


class NullBoolean(Boolean):
    """true/false; blank is unknown."""

    blank = None

    def format(self, value):
        return "" if value is None else super().format(value)


class Phone(Type):
    """A phone number as people write it; stored and exported as its digits (as intake does)."""

    blank = ""

    def parse(self, text):
        try:
            return parse_phone(text)
        except ValueError as error:
            raise ValueError(f"{shown(text)}: {error}") from None


class Timestamp(Type):
    """ISO 8601 with a UTC offset; exported in settings.TIME_ZONE with its offset."""

    def parse(self, text):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{shown(text)} is not an ISO 8601 timestamp") from None
        if value.utcoffset() is None:
            raise ValueError(f"needs a UTC offset ({text})")
        return value

    def format(self, value):
        if value is None:
            return ""
        return value.astimezone(timezone.get_default_timezone()).isoformat()


class Day(Type):
    PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

    def parse(self, text):
        try:
            if not self.PATTERN.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a date YYYY-MM-DD") from None

    def format(self, value):
        return "" if value is None else value.isoformat()


class Ref(Ident):
    """The external id of a row of another file (or of a record already in the database)."""

    def __init__(self, target: str):
        self.target = target


class RefList(Ref):
    """A ;-separated list of external ids of another file; exported sorted."""

    blank = ()

    def parse(self, text):
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        items = [item for item in items if item]
        if len(set(items)) != len(items):
            raise ValueError(f"lists {shown(_first_repeat(items))} twice")
        return items

    def format(self, value):
        return LIST_SEPARATOR.join(sorted(value or ()))


def _first_repeat(items):
    seen = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""


# --- columns and files ---------------------------------------------------------------------------

_UNSET = object()


class Column:
    """One CSV column: its type, the model field it fills, and whether it may be blank or absent.

    required  the value may not be blank.
    optional  the column may be absent from the header; records that already exist then keep
              their stored value, new ones get the default.
    field     the model field; None for columns stored elsewhere (`note`: an EncounterNote of
              that data category).
    """

    def __init__(
        self,
        name: str,
        type: Type,
        field: str | None = _UNSET,
        *,
        required: bool = False,
        optional: bool = False,
        default: Any = _UNSET,
        note: str | None = None,
        constraint: str | None = None,
    ):
        self.name = name
        self.type = type
        self.field = None if note else (name if field is _UNSET else field)
        self.required = required
        self.optional = optional
        self.default = type.blank if default is _UNSET else default
        self.note = note
        self.constraint = constraint  # the model CheckConstraint this column's range mirrors
        self.max_length: int | None = None  # set from the model field by FileSpec
        self.strip = type.strip
        self.typed_parse = type.parse
        self.format = type.format

    def __repr__(self) -> str:
        return f"Column({self.name!r})"

    def blank(self) -> Any:
        default = self.default
        return list(default) if isinstance(default, tuple) else default

    def parse(self, raw: str) -> Any:
        """The cell's value; raises ValueError with the reason when it does not parse."""
        return self.parser()(raw)

    def parser(self):
        """`parse` as one closure over this column's settings: the reader calls it per cell.

        Cells that are exactly a known value (an enumeration value, true/false, a blank that is
        allowed) are looked up in a table first; the rest take the general path."""
        required, strip, limit = self.required, self.strip, self.max_length
        typed, blank, fresh = self.typed_parse, self.default, isinstance(self.default, tuple)

        def parse(raw: str) -> Any:
            text = raw.strip()
            if not text:
                if required:
                    raise ValueError("is required")
                return list(blank) if fresh else blank
            if not strip:
                text = raw
            if limit is not None and len(text) > limit:
                raise ValueError(f"is {len(text)} characters long; at most {limit} fit")
            return typed(text)

        known = self.type.known()
        if not required and not fresh:
            known[""] = blank
        if isinstance(self.type, Timestamp):
            parse_iso, general = datetime.fromisoformat, parse

            def parse(raw: str) -> Any:
                try:
                    value = parse_iso(raw)
                except ValueError:
                    return general(raw)  # blank, surrounding spaces, or not a timestamp
                return value if value.tzinfo is not None else general(raw)

        if not known:
            return parse
        lookup, general = known.get, parse

        def parse_known(raw: str) -> Any:
            value = lookup(raw, known)  # `known` itself stands for "not in the table"
            return general(raw) if value is known else value

        return parse_known


class NotBefore:
    """`column` may not be earlier than `earlier` (both blank-able)."""

    def __init__(self, column: str, earlier: str, constraint: str):
        self.column, self.columns, self.constraint = column, (column, earlier), constraint
        self.earlier = earlier

    def __call__(self, value, earlier_value):
        if value is not None and earlier_value is not None and value < earlier_value:
            return f"is before {self.earlier} ({earlier_value.isoformat()})"
        return None


class Needs:
    """When `column` is set (true / non-blank), `needed` must be too."""

    def __init__(self, column: str, needed: str, reason: str, constraint: str):
        self.column, self.columns, self.constraint = column, (column, needed), constraint
        self.reason = reason

    def __call__(self, value, needed_value):
        return self.reason if value and not needed_value else None


class Either:
    """Exactly one of `column` and `other` is set (both blank-able)."""

    def __init__(self, column: str, other: str, constraint: str):
        self.column, self.columns, self.constraint = column, (column, other), constraint
        self.other = other

    def __call__(self, value, other_value):
        if bool(value) == bool(other_value):
            state = "both are set" if value else "neither is set"
            return f"give exactly one of {self.column} and {self.other} ({state})"
        return None


class OneOf:
    """At least one of `column` and `other` is set."""

    def __init__(self, column: str, other: str, constraint: str):
        self.column, self.columns, self.constraint = column, (column, other), constraint
        self.other = other

    def __call__(self, value, other_value):
        return None if value or other_value else f"is blank and so is {self.other}: give one"


class Differs:
    """`column` and `other` name different records."""

    def __init__(self, column: str, other: str, constraint: str):
        self.column, self.columns, self.constraint = column, (column, other), constraint
        self.other = other

    def __call__(self, value, other_value):
        return f"is the same as {self.other}" if value and value == other_value else None


class Derived:
    """Model fields the import computes from a row's columns (never columns of the file): the
    blocking keys of a person record (people.normalize.person_keys)."""

    def __init__(self, fields: tuple[str, ...], inputs: tuple[str, ...], compute):
        self.fields, self.inputs, self.compute = fields, inputs, compute


class FileSpec:
    def __init__(self, name: str, model: type[models.Model], columns, checks=(), derived=None):
        self.name = name
        self.model = model
        self.columns: tuple[Column, ...] = tuple(columns)
        self.checks = tuple(checks)
        self.derived: Derived | None = derived
        self.id = self.columns[0]
        self.noun = self.id.name.removesuffix("_id")
        self.by_name = {c.name: c for c in self.columns}
        for column in self.columns:
            if column.field and isinstance(column.type, Text | Ident) and not column.note:
                model_field = model._meta.get_field(column.field)
                if isinstance(model_field, models.CharField):
                    column.max_length = model_field.max_length
            if isinstance(column.type, Ref) and not isinstance(column.type, RefList):
                column.max_length = 64

    def __repr__(self) -> str:
        return f"FileSpec({self.name!r})"

    @property
    def constraints(self) -> set[str]:
        names = {c.constraint for c in self.columns if c.constraint}
        return names | {check.constraint for check in self.checks}


def _id(name: str) -> Column:
    return Column(name, Ident(), "external_id", required=True)


TEXT = Text()
BOOLEAN = Boolean()
TIMESTAMP = Timestamp()
DAY = Day()

FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "agencies.csv",
        Agency,
        [
            _id("agency_id"),
            Column("name", TEXT, required=True),
            Column("kind", Choice(AgencyKind), required=True),
        ],
    ),
    FileSpec(
        "programs.csv",
        Program,
        [
            _id("program_id"),
            Column("name", TEXT, required=True),
            Column("model", Choice(ProgramModel), required=True),
            Column("agency_ids", RefList("agencies.csv"), "agencies"),
            Column(
                "focus_population",
                Choice(FocusPopulation),
                optional=True,
                default=FocusPopulation.GENERAL.value,
            ),
        ],
    ),
    FileSpec(
        "persons.csv",
        Person,
        [
            _id("person_id"),
            Column("agency_id", Ref("agencies.csv"), "agency", required=True),
            Column("first_name", TEXT),
            Column("last_name", TEXT),
            Column("dob", DAY),
            Column("sex", Choice(Sex)),
            Column("race_ethnicity", Choice(RaceEthnicity)),
            Column("address", TEXT),
            Column("phone", TEXT),
            Column("veteran", NullBoolean()),
            Column("language", TEXT, optional=True),
        ],
        derived=Derived(normalize.KEY_FIELDS, normalize.KEY_SOURCES, normalize.person_keys),
    ),
    FileSpec(
        "calls.csv",
        Call,
        [
            _id("call_id"),
            Column("received_at", TIMESTAMP, required=True),
            Column("source", Choice(CallSource), required=True),
            Column("call_type", TEXT, required=True),
            Column("priority", Integer(1, 5), constraint="call_priority_1_to_5"),
            Column("address", TEXT),
            Column("latitude", Float(-90, 90), constraint="call_latitude_range"),
            Column("longitude", Float(-180, 180), constraint="call_longitude_range"),
            Column("district", TEXT),
            Column("narrative", TEXT),
            Column("program_id", Ref("programs.csv"), "program"),
            Column("caller_name", TEXT, optional=True),
            Column("caller_phone", Phone(), optional=True),
            Column("frequent_caller", BOOLEAN, optional=True),
        ],
    ),
    FileSpec(
        "encounters.csv",
        Encounter,
        [
            _id("encounter_id"),
            Column("call_id", Ref("calls.csv"), "call"),
            Column("person_id", Ref("persons.csv"), "person"),
            Column("program_id", Ref("programs.csv"), "program", required=True),
            Column("kind", Choice(EncounterKind), required=True),
            Column("dispatched_at", TIMESTAMP),
            Column("on_scene_at", TIMESTAMP),
            Column("cleared_at", TIMESTAMP),
            Column("officer_cleared_at", TIMESTAMP),
            Column("disposition", Choice(Disposition)),
            Column("services", ChoiceList(Service)),
            Column("arrest", BOOLEAN),
            Column("citation", BOOLEAN),
            Column("jail_booking", BOOLEAN),
            Column("er_transport", BOOLEAN),
            Column("hospital_admission", BOOLEAN),
            Column("involuntary_hold", BOOLEAN),
            Column("use_of_force", BOOLEAN),
            Column("arrest_eligible", BOOLEAN),
            Column("clinical_note", TEXT, note=DataCategory.MENTAL_HEALTH.value),
            Column("substance_use_note", TEXT, note=DataCategory.SUBSTANCE_USE.value),
            Column("presenting_concerns", ChoiceList(Concern), optional=True),
            Column("weapon_present", BOOLEAN, optional=True),
            Column("injuries", BOOLEAN, optional=True),
        ],
        checks=[
            NotBefore("on_scene_at", "dispatched_at", "encounter_on_scene_after_dispatch"),
            NotBefore("cleared_at", "on_scene_at", "encounter_cleared_after_on_scene"),
            NotBefore(
                "officer_cleared_at", "on_scene_at", "encounter_officer_cleared_after_on_scene"
            ),
            Needs(
                "jail_booking",
                "arrest",
                "is true but arrest is false",
                "encounter_jail_booking_needs_arrest",
            ),
        ],
    ),
    FileSpec(
        "referrals.csv",
        Referral,
        [
            _id("referral_id"),
            Column("encounter_id", Ref("encounters.csv"), "encounter"),
            Column("person_id", Ref("persons.csv"), "person", required=True),
            Column("service_type", Choice(ServiceType), required=True),
            Column("provider", TEXT, required=True),
            Column("sent_at", TIMESTAMP, required=True),
            Column("status", Choice(ReferralStatus), required=True),
            Column("closed_at", TIMESTAMP),
            # The closed loop's steps (care.Referral); absent columns keep stored stamps.
            *(Column(stamp, TIMESTAMP, optional=True) for stamp in REFERRAL_STEP_STAMPS),
        ],
        checks=[
            NotBefore("closed_at", "sent_at", "referral_closed_after_sent"),
            *(
                NotBefore(stamp, "sent_at", f"referral_{stamp}_after_sent")
                for stamp in REFERRAL_STEP_STAMPS
            ),
        ],
    ),
    FileSpec(
        "followups.csv",
        FollowUp,
        [
            _id("followup_id"),
            Column("encounter_id", Ref("encounters.csv"), "encounter"),
            Column("person_id", Ref("persons.csv"), "person", required=True),
            Column("due_at", TIMESTAMP, required=True),
            Column("completed_at", TIMESTAMP),
            Column("outcome", Choice(FollowUpOutcome)),
            Column("attempts", Integer(0, 32767), optional=True, default=0),
        ],
        checks=[
            Needs(
                "outcome",
                "completed_at",
                "is set but completed_at is blank",
                "followup_outcome_needs_completion",
            )
        ],
    ),
    FileSpec(
        "enrollments.csv",
        Enrollment,
        [
            _id("enrollment_id"),
            Column("person_id", Ref("persons.csv"), "person", required=True),
            Column("provider", TEXT, required=True),
            Column("service_type", Choice(ServiceType), required=True),
            Column("start_date", DAY, required=True),
            Column("end_date", DAY),
        ],
        checks=[NotBefore("end_date", "start_date", "enrollment_ends_after_start")],
    ),
    FileSpec(
        "agreements.csv",
        SharingAgreement,
        [
            _id("agreement_id"),
            Column("title", TEXT, required=True),
            Column("from_agency_id", Ref("agencies.csv"), "from_agency", required=True),
            Column("to_agency_id", Ref("agencies.csv"), "to_agency", required=True),
            Column("categories", ChoiceList(DataCategory), required=True),
            Column("purposes", ChoiceList(Purpose), required=True),
            Column("effective_from", DAY, required=True),
            Column("effective_to", DAY),
            Column("document_ref", TEXT, optional=True),
        ],
        checks=[
            Differs("to_agency_id", "from_agency_id", "agreement_between_two_agencies"),
            NotBefore("effective_to", "effective_from", "agreement_ends_after_it_starts"),
        ],
    ),
    FileSpec(
        "consents.csv",
        Consent,
        [
            _id("consent_id"),
            Column("person_id", Ref("persons.csv"), "person", required=True),
            Column("from_agency_id", Ref("agencies.csv"), "from_agency", required=True),
            Column("to_agency_id", Ref("agencies.csv"), "to_agency"),
            Column("categories", ChoiceList(DataCategory), required=True),
            Column("purpose", ChoiceList(Purpose), "purposes", required=True),
            Column("signed_at", TIMESTAMP, required=True),
            Column("expires_at", TIMESTAMP),
            Column("revoked_at", TIMESTAMP),
            Column("to_class", Choice(RecipientClass), optional=True),
            Column("kind", Choice(ConsentKind), optional=True, default=ConsentKind.PART2.value),
            Column("expiry_event", TEXT, optional=True),
            Column("signed_by", TEXT, optional=True),
            Column("description", TEXT, optional=True),
        ],
        checks=[
            Either("to_agency_id", "to_class", "consent_one_recipient"),
            OneOf("expires_at", "expiry_event", "consent_has_an_expiry"),
            NotBefore("expires_at", "signed_at", "consent_expires_after_signed"),
            NotBefore("revoked_at", "signed_at", "consent_revoked_after_signed"),
        ],
    ),
)

SPECS: dict[str, FileSpec] = {spec.name: spec for spec in FILES}
