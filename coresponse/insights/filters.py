"""What a metrics question is about: the period and the population filters.

The period is two inclusive local dates in the deployment's time zone (settings.TIME_ZONE):
`--from 2025-01-01 --to 2025-03-31` is every call received from midnight on January 1 to the last
moment of March 31, local time, whatever the offset (daylight saving included).

Filters narrow the population of crisis encounters (and, where they apply, calls):
program, team, agency, call source, district and a demographic group (race/ethnicity, sex, age
band). `Filters.parse` reads them from text (a query string, the command line) and says what is
wrong in words a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from coresponse.agencies.models import Agency, Program, Team
from coresponse.dispatch.models import CallSource
from coresponse.people.models import RaceEthnicity, Sex

AGE_BANDS = (
    ("0-17", "Under 18", 0, 17),
    ("18-24", "18 to 24", 18, 24),
    ("25-34", "25 to 34", 25, 34),
    ("35-44", "35 to 44", 35, 44),
    ("45-54", "45 to 54", 45, 54),
    ("55-64", "55 to 64", 55, 64),
    ("65+", "65 and over", 65, 200),
)
AGE_BAND_LABELS = {key: label for key, label, _, _ in AGE_BANDS}
NOT_RECORDED = "not_recorded"  # the group of encounters whose person (or field) is unknown


class FilterError(ValueError):
    """Bad filter input; `field` is the parameter at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Period:
    """A half-open interval of aware datetimes: start <= received_at < end."""

    start: datetime
    end: datetime  # exclusive

    @classmethod
    def of_dates(cls, first: date, last: date) -> Period:
        """From the first to the last local date, both included."""
        return cls(local_midnight(first), local_midnight(last + timedelta(days=1)))

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Filters:
    first_day: date
    last_day: date
    program_ids: tuple[int, ...] = ()  # empty: every program the caller may see
    team_id: int | None = None
    agency_id: int | None = None
    source: str = ""
    district: str = ""
    race_ethnicity: str = ""
    sex: str = ""
    age_band: str = ""
    # Filled in by `parse` for display: the names behind the ids.
    labels: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def period(self) -> Period:
        return Period.of_dates(self.first_day, self.last_day)

    @property
    def person_filtered(self) -> bool:
        """True when the population is narrowed by something only a person record says."""
        return bool(self.agency_id or self.race_ethnicity or self.sex or self.age_band)

    def with_period(self, first: date, last: date) -> Filters:
        return replace(self, first_day=first, last_day=last)

    def describe(self) -> list[tuple[str, str]]:
        """(name, value) of each filter that is set, for page headers and reports."""
        out = []
        for key, name in (
            ("team", "Team"),
            ("agency", "Agency"),
            ("source", "Call source"),
            ("district", "District"),
            ("race_ethnicity", "Race/ethnicity"),
            ("sex", "Sex"),
            ("age_band", "Age"),
        ):
            if self.labels.get(key):
                out.append((name, self.labels[key]))
        return out

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (the inverse of `parse`)."""
        out = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if len(self.program_ids) == 1:
            out["program"] = str(self.program_ids[0])
        for name, value in (
            ("team", self.team_id),
            ("agency", self.agency_id),
            ("source", self.source),
            ("district", self.district),
            ("race_ethnicity", self.race_ethnicity),
            ("sex", self.sex),
            ("age_band", self.age_band),
        ):
            if value:
                out[name] = str(value)
        return out

    @classmethod
    def parse(
        cls, params, *, allowed_programs=None, default_days: int = 90, today: date | None = None
    ) -> Filters:
        """Filters from text parameters (`from`, `to`, `program`, `team`, `agency`, `source`,
        `district`, `race_ethnicity`, `sex`, `age_band`).

        `allowed_programs`: the Programs the caller may see (None: every program). A program,
        team or agency outside them is refused as unknown, the same answer as a missing id.
        Without `from`/`to`, the period is the `default_days` days to `today` (by default the
        local date).
        """
        get = params.get
        labels: dict[str, str] = {}
        today = today or timezone.localdate()
        last = _date(get("to"), "to") or today
        first = _date(get("from"), "from") or last - timedelta(days=default_days - 1)
        if first > last:
            raise FilterError("from", f"the period starts ({first}) after it ends ({last})")
        if (last - first).days > 366 * 10:
            raise FilterError("from", "the period is longer than ten years")

        programs = Program.objects.all() if allowed_programs is None else allowed_programs
        program_ids: tuple[int, ...] = ()
        program_text = (get("program") or "").strip()
        if program_text:
            program = _program(programs, program_text)
            program_ids = (program.id,)
            labels["program"] = program.name
        elif allowed_programs is not None:
            program_ids = tuple(sorted(p.id for p in programs))
            if not program_ids:
                program_ids = (0,)  # no program at all: nothing matches

        team_id = None
        team_text = (get("team") or "").strip()
        if team_text:
            team = Team.objects.filter(program_id__in=[p.id for p in programs]).filter(
                pk=_int(team_text, "team")
            )
            team = team.first()
            if team is None:
                raise FilterError("team", f"no team {team_text!r} in your programs")
            team_id = team.id
            labels["team"] = team.name

        agency_id = None
        agency_text = (get("agency") or "").strip()
        if agency_text:
            agency = Agency.objects.filter(pk=_int(agency_text, "agency")).first()
            if agency is None or (
                allowed_programs is not None
                and not agency.programs.filter(pk__in=[p.id for p in programs]).exists()
            ):
                raise FilterError("agency", f"no agency {agency_text!r} in your programs")
            agency_id = agency.id
            labels["agency"] = agency.name

        source = _choice(get("source"), "source", CallSource)
        if source:
            labels["source"] = CallSource(source).label
        district = (get("district") or "").strip()[:60]
        if district:
            labels["district"] = district
        race = _choice(get("race_ethnicity"), "race_ethnicity", RaceEthnicity, NOT_RECORDED)
        if race:
            labels["race_ethnicity"] = group_label("race_ethnicity", race)
        sex = _choice(get("sex"), "sex", Sex, NOT_RECORDED)
        if sex:
            labels["sex"] = group_label("sex", sex)
        band = (get("age_band") or "").strip()
        if band and band not in AGE_BAND_LABELS and band != NOT_RECORDED:
            raise FilterError(
                "age_band", f"{band!r} is not one of {', '.join([*AGE_BAND_LABELS, NOT_RECORDED])}"
            )
        if band:
            labels["age_band"] = group_label("age_band", band)
        return cls(
            first,
            last,
            program_ids=program_ids,
            team_id=team_id,
            agency_id=agency_id,
            source=source,
            district=district,
            race_ethnicity=race,
            sex=sex,
            age_band=band,
            labels=labels,
        )


def group_label(dimension: str, value: str) -> str:
    """How a demographic or district group is printed."""
    if value in ("", NOT_RECORDED, None):
        return "Not recorded"
    if dimension == "race_ethnicity":
        return _label_of(RaceEthnicity, value)
    if dimension == "sex":
        return _label_of(Sex, value)
    if dimension == "age_band":
        return AGE_BAND_LABELS.get(value, value)
    return str(value)


def _label_of(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


def _date(text, name: str) -> date | None:
    if text in (None, ""):
        return None
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise FilterError(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FilterError(name, f"{text!r} is not an id") from None


def _program(programs, text: str) -> Program:
    """A program by id or by external id, among `programs`."""
    match = programs.filter(external_id=text).first()
    if match is None and text.isdigit():
        match = programs.filter(pk=int(text)).first()
    if match is None:
        raise FilterError("program", f"no program {text!r} (give its id or external id)")
    return match


def _choice(text, name: str, choices, *extra: str) -> str:
    value = (text or "").strip()
    if value and value not in choices.values and value not in extra:
        raise FilterError(name, f"{value!r} is not one of {', '.join([*choices.values, *extra])}")
    return value
