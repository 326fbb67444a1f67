"""Cedar County's calls written as a city's CAD export: test and benchmark files for
`coresponse import-calls` and `coresponse triage`.

    write_export("calls.csv", "seattle", seed=42, scale=1.0)              # the seed's calls
    write_export("big.csv", "new-orleans", scale=3, background=0.9)        # ... as 10% of a city's
    write_export("cad.csv", "detroit", internal=True)                     # with remarks and callers

Each city writes the columns its public export has (docs/cad-mappings/<city>.toml reads them),
its time format in its own time zone, and its own call-type strings, copied unchanged from the
Vera Institute's call-type table (shared/data/vera_calltype_mapping_by_city.csv, MIT licence): a
Cedar County suicide call becomes Seattle's "SUICIDE - IP/JO SUICIDAL PERSON AND ATTEMPTS", New
Orleans' "SUICIDE THREAT" or Detroit's "SUICIDE I/P". `background` adds the rest of a city's
calls (traffic, alarms, property crime...), drawn from the city's 40 most frequent call types in
that table in proportion to their counts, so that the behavioral-health calls are the minority
they are in a real export. Outreach contacts keep the seed's own "OUTREACH - PROACTIVE CONTACT",
which is in no city's table (an unmapped call type). With `internal` a city's
file also has the columns a public export leaves out but an agency's own extract holds
(INTERNAL_COLUMNS: the call-taker's remarks, the caller's name and number).

Everything is drawn from random.Random seeded by (seed, city): the same arguments give the same
file, byte for byte. Columns the mappings do not read (dispatch and arrival times, dispositions,
beats, signal codes) are filled with plausible, illustrative values.
"""

from __future__ import annotations

import csv
import heapq
import os
import random
import tempfile
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from coresponse.dispatch.triage import vera

from . import calltypes, places
from .cedar import DAYS, UNTIL, ZONE
from .county import HOURLY, County, _number
from .sampling import Picker, pick

# What an agency's own CAD extract adds to the public columns (mapping field -> header).
INTERNAL_COLUMNS = {
    "narrative": "Remarks",
    "caller_name": "Caller Name",
    "caller_phone": "Caller Phone",
}
US_TIME = "%m/%d/%Y %I:%M:%S %p"


@dataclass(slots=True)
class Record:
    """One call, before it takes a city's shape."""

    at: datetime  # UTC
    category: str  # a calltypes category key, "outreach", or "" for a background call
    call_type: str  # the city's own string, for a background call
    source: str
    priority: int  # 1..5
    address: str
    latitude: float
    longitude: float
    district: places.District
    narrative: str
    caller_name: str
    caller_phone: str


class City(ABC):
    """One city's export shape: its header, its call-type strings, how it writes a row."""

    key = ""
    name = ""
    zone: ZoneInfo
    header: tuple[str, ...] = ()
    # category -> the city's call-type strings for it, each with its weight
    types: dict[str, tuple[tuple[str, float], ...]] = {}

    # The city's 40 most frequent call types in the Vera table, with their counts there.
    BACKGROUND: tuple[tuple[int, str], ...] = ()

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pickers = {key: Picker(pairs) for key, pairs in self.types.items()}
        self.background = Picker((text, n) for n, text in self.BACKGROUND)

    def call_type(self, record: Record) -> str:
        if not record.category:
            return record.call_type
        return self.pickers[record.category](self.rng)

    def local(self, record: Record) -> datetime:
        return record.at.astimezone(self.zone)

    def numbering(self, local: datetime):
        """Calls are numbered from 1 within each value of this (a year, by default)."""
        return local.year

    @abstractmethod
    def cells(self, record: Record, number: int) -> list[str]:
        """The record as the city's export writes it, one string per header column."""


class Seattle(City):
    key = "seattle"
    name = "Seattle Police Department: Call Data"
    zone = ZoneInfo("America/Los_Angeles")
    # fmt: off
    BACKGROUND = (
        (374732, 'PREMISE CHECK, OFFICER INITIATED ONVIEW ONLY'),
        (238298, 'SUSPICIOUS PERSON, VEHICLE OR INCIDENT'),
        (234406, 'TRAFFIC STOP - OFFICER INITIATED ONVIEW'),
        (194824, 'PARKING VIOLATION (EXCEPT ABANDONED CAR)'),
        (189601, 'DISTURBANCE, MISCELLANEOUS/OTHER'),
        (158595, 'SUSPICIOUS STOP - OFFICER INITIATED ONVIEW'),
        (104899, 'THEFT (DOES NOT INCLUDE SHOPLIFT OR SVCS)'),
        (103377, 'DIRECTED PATROL ACTIVITY'),
        (79787, 'FOLLOW UP'),
        (76882, 'OFF DUTY EMPLOYMENT'),
        (70135, 'NUISANCE - MISCHIEF'),
        (66082, 'TRESPASS'),
        (57100, 'ALARM - RESIDENTIAL - BURGLARY, SILENT/AUDIBLE'),
        (56446, 'NARCOTICS - VIOLATIONS (LOITER, USE, SELL, NARS)'),
        (56288, 'BURG - RES (INCL UNOCC STRUCTURES ON PROP)'),
        (53124, 'SHOPLIFT - THEFT'),
        (51183, 'ALARM - COMM, SILENT/AUD BURG (INCL BANKS)'),
        (45969, 'AUTO THEFT - VEH THEFT OR THEFT & RECOVERY'),
        (44356, 'HAZ - POTENTIAL THRT TO PHYS SAFETY (NO HAZMAT)'),
        (38384, 'SERVICE - WELFARE CHECK'),
        (38353, 'PROPERTY - DAMAGE'),
        (37724, 'NOISE - DIST, GENERAL (CONST, RESID, BALL PLAY)'),
        (36787, 'ASLT - IP/JO - WITH OR W/O WPNS (NO SHOOTINGS)'),
        (34892, 'TRU - THEFT'),
        (34562, 'DIST - DV - NO ASLT'),
        (34244, 'PREDICTIVE POLICING'),
        (33908, 'AUTO RECOVERY'),
        (33622, 'ASSIST OTHER AGENCY - ROUTINE SERVICE'),
        (33148, 'DIST - IP/JO - DV DIST - NO ASLT'),
        (32915, 'THREATS (INCLS IN-PERSON/BY PHONE/IN WRITING)'),
        (32005, 'NOISE - DISTURBANCE (PARTY, ETC)'),
        (31667, 'TRAFFIC - BLOCKING ROADWAY'),
        (31046, 'SECONDARY - THEFT (NOT SHOPLIFT OR SERVICES)'),
        (30402, 'ASLT - WITH OR W/O WEAPONS (NO SHOOTINGS)'),
        (29941, 'DOWN - CHECK FOR PERSON DOWN'),
        (27900, 'MVC - REPORT, NON INJ/NON BLKG OR AFTER FACT INJ'),
        (27883, 'PROPERTY - FOUND'),
        (27243, 'FIGHT - IP - PHYSICAL (NO WEAPONS)'),
        (26299, 'SUICIDE - IP/JO SUICIDAL PERSON AND ATTEMPTS'),
        (26103, 'UNKNOWN - ANI/ALI - LANDLINE (INCLUDES OPEN LINE)'),
    )
    # fmt: on
    header = (
        "CAD Event Number",
        "Event Clearance Description",
        "Call Type",
        "Priority",
        "Initial Call Type",
        "Final Call Type",
        "Original Time Queued",
        "Arrived Time",
        "Precinct",
        "Sector",
        "Beat",
        "Blurred_Longitude",
        "Blurred_Latitude",
    )  # fmt: skip
    types = {
        **{c.key: tuple((t, n) for n, t in c.city_types) for c in calltypes.CATEGORIES},
        "outreach": ((calltypes.OUTREACH_TYPE, 1),),
    }
    METHOD = {
        "911": "911",
        "non_emergency": "TELEPHONE OTHER, NOT 911",
        "988": "TELEPHONE OTHER, NOT 911",
        "officer_initiated": "ONVIEW",
        "outreach": "PROACTIVE (OFFICER INITIATED)",
        "walk_in": "IN PERSON COMPLAINT",
    }
    FINAL = {
        "suicide": "--CRISIS COMPLAINT - GENERAL",
        "crisis": "--CRISIS COMPLAINT - GENERAL",
        "intoxicated": "--INTOX & LIQ VIOLS - INTOXICATED PERSON",
        "trespass": "--PROWLER - TRESPASS",
        "missing_elder": "--PERSON - MISSING PERSON",
        "youth": "--PERSON - RUNAWAY",
        "family": "--DV - ARGUMENTS, DISTURBANCE (NO ARREST)",
        "threats": "--ASSAULTS - HARASSMENT, THREATS",
    }
    CLEARANCE = (
        "ASSISTANCE RENDERED", "CHRONIC COMPLAINT", "REPORT WRITTEN (NO ARREST)",
        "UNABLE TO LOCATE INCIDENT OR COMPLAINANT", "NO POLICE ACTION POSSIBLE OR NECESSARY",
        "RESPONDING UNIT(S) CANCELLED BY RADIO",
    )  # fmt: skip

    def cells(self, record, number):
        rng, local = self.rng, self.local(record)
        call_type = self.call_type(record)
        onview = record.source in ("officer_initiated", "outreach")
        priority = str(record.priority) if not onview or rng.random() < 0.5 else pick(rng, "79")
        arrived = local + timedelta(seconds=rng.randrange(120, 2400))
        district = record.district.name.upper()
        return [
            f"{local.year}{number:09d}",
            pick(rng, self.CLEARANCE),
            self.METHOD[record.source],
            priority,
            call_type,
            self.FINAL.get(record.category, "--DISTURBANCE - OTHER"),
            local.strftime(US_TIME),
            arrived.strftime("%b %d %Y %I:%M:%S:000%p"),
            district,
            district[:1] + district.split()[-1][:1],
            f"{district[:1]}{1 + number % 3}",
            f"{record.longitude:.6f}",
            f"{record.latitude:.6f}",
        ]


class NewOrleans(City):
    key = "new-orleans"
    name = "New Orleans Police Department: Calls for Service"
    zone = ZoneInfo("America/Chicago")
    # fmt: off
    BACKGROUND = (
        (444247, 'COMPLAINT OTHER'),
        (255264, 'TRAFFIC INCIDENT'),
        (210483, 'BURGLAR ALARM, SILENT'),
        (152873, 'DISTURBANCE (OTHER)'),
        (106490, 'AUTO ACCIDENT'),
        (98091, 'SUSPICIOUS PERSON'),
        (95463, 'AREA CHECK'),
        (66966, 'WARR STOP WITH RELEASE'),
        (60586, 'RETURN FOR ADDITIONAL INFO'),
        (54881, 'THEFT'),
        (46659, 'DOMESTIC DISTURBANCE'),
        (43316, 'HIT & RUN'),
        (40013, 'MUNICIPAL ATTACHMENT'),
        (35727, 'BUSINESS CHECK'),
        (34818, 'FIGHT'),
        (32942, 'FUGITIVE ATTACHMENT'),
        (29720, 'LOST PROPERTY'),
        (29146, 'AUTO THEFT'),
        (25922, 'SIMPLE BATTERY'),
        (24786, 'MEDICAL'),
        (24241, 'SIMPLE CRIMINAL DAMAGE'),
        (23509, 'SILENT 911 CALL'),
        (22727, 'AUTO ACCIDENT WITH INJURY'),
        (21307, 'NOISE COMPLAINT'),
        (20842, 'SIMPLE BURGLARY VEHICLE'),
        (20341, 'MENTAL PATIENT'),
        (19110, 'DISCHARGING FIREARM'),
        (17850, 'SIMPLE BATTERY DOMESTIC'),
        (17718, 'EXTORTION (THREATS)'),
        (15749, 'DRUG VIOLATIONS'),
        (15022, 'RESIDENCE BURGLARY'),
        (14184, 'HOLD UP ALARM'),
        (13453, 'SHOPLIFTING'),
        (13002, 'INCIDENT REQUESTED BY ANOTHER AGENCY'),
        (12104, 'PROWLER'),
        (12091, 'THEFT BY FRAUD'),
        (11403, 'DIRECTED PATROL'),
        (9842, 'TOW IMPOUNDED VEHICLE (PRIVATE)'),
        (9194, 'SIMPLE BURGLARY'),
        (8877, 'RECKLESS DRIVING'),
    )
    # fmt: on
    header = (
        "NOPD_Item",
        "Type",
        "TypeText",
        "Priority",
        "InitialType",
        "InitialTypeText",
        "InitialPriority",
        "MapX",
        "MapY",
        "TimeCreate",
        "TimeDispatch",
        "TimeArrive",
        "TimeClosed",
        "Disposition",
        "DispositionText",
        "SelfInitiated",
        "Beat",
        "BLOCK_ADDRESS",
        "Zip",
        "PoliceDistrict",
        "Location",
    )  # fmt: skip
    types = {
        "suicide": (("SUICIDE", 3147), ("SUICIDE THREAT", 1725), ("SUICIDE ATTEMPT", 468)),
        "crisis": (("MENTAL PATIENT", 1),),
        "welfare": (("COMPLAINT OTHER", 1),),
        "person_down": (("MEDICAL", 1),),
        "overdose": (("MEDICAL", 24786), ("MEDICAL - NALOXONE", 400)),
        "intoxicated": (("DRUNK", 1),),
        "disturbance": (("DISTURBANCE (OTHER)", 152873), ("FIGHT", 34818)),
        "trespass": (("SUSPICIOUS PERSON", 1),),
        "unhoused": (("HOMELESS", 1),),
        "missing_elder": (("MISSING ADULT", 1),),
        "youth": (("MISSING JUVENILE", 1),),
        "family": (("DOMESTIC DISTURBANCE", 1),),
        "threats": (("EXTORTION (THREATS)", 1),),
        "outreach": ((calltypes.OUTREACH_TYPE, 1),),
    }
    # NOPD priorities: a digit, 3 the most urgent and 0 no response needed, and a letter.
    PRIORITY = {1: "2A", 2: "2B", 3: "1A", 4: "1C", 5: "0A"}
    MONTHS = "ABCDEFGHIJKL"  # item numbers start with the month's letter
    DISPOSITIONS = (
        ("NAT", "NECESSARY ACTION TAKEN"), ("GOA", "GONE ON ARRIVAL"), ("UNF", "UNFOUNDED"),
        ("RTF", "REPORT TO FOLLOW"),
    )  # fmt: skip

    def __init__(self, rng):
        super().__init__(rng)
        self.codes: dict[str, str] = {}  # illustrative signal codes, one per text

    def numbering(self, local):
        return local.year, local.month

    def code(self, text: str) -> str:
        return self.codes.setdefault(text, str(100 + len(self.codes)))

    def cells(self, record, number):
        rng, local = self.rng, self.local(record)
        call_type = self.call_type(record)
        priority = self.PRIORITY[record.priority]
        dispatched = local + timedelta(seconds=rng.randrange(30, 1800))
        arrived = dispatched + timedelta(seconds=rng.randrange(120, 1500))
        closed = arrived + timedelta(seconds=rng.randrange(300, 5400))
        disposition, text = pick(rng, self.DISPOSITIONS)
        district_no = 1 + places.DISTRICTS.index(record.district) % 8
        code = self.code(call_type)
        return [
            f"{self.MONTHS[local.month - 1]}{number % 100000:05d}{local.year % 100:02d}",
            code,
            call_type,
            priority,
            code,
            call_type,
            priority,
            f"{3_680_000 + (record.longitude + 105.1) * 250_000:.0f}",
            f"{530_000 + (record.latitude - 40.5) * 360_000:.0f}",
            local.strftime(US_TIME),
            dispatched.strftime(US_TIME),
            arrived.strftime(US_TIME),
            closed.strftime(US_TIME),
            disposition,
            text,
            "Y" if record.source in ("officer_initiated", "outreach") else "N",
            f"{district_no}{pick(rng, 'ABCDEFGH')}{rng.randrange(1, 10):02d}",
            _block(record.address, "{hundreds:03d}XX {street}"),
            _zip(record.address),
            str(district_no),
            f"POINT ({record.longitude!r} {record.latitude!r})",
        ]


class Detroit(City):
    key = "detroit"
    name = "Detroit Police Department: 911 Calls for Service"
    zone = ZoneInfo("America/Detroit")
    # fmt: off
    BACKGROUND = (
        (254545, 'TRAFFIC STOP'),
        (254541, 'SPECIAL ATTENTION'),
        (131786, 'DISTURBANCE'),
        (81946, 'REMARKS'),
        (81916, 'START OF SHIFT INFORMATION'),
        (75962, 'INVESTIGATE PERSON'),
        (67878, 'UNKNOWN PROBLEM'),
        (67278, 'ASSAULT AND BATTERY'),
        (56500, 'TOWING DETAIL'),
        (36910, 'FELONIOUS ASSAULT IP'),
        (30279, 'LARCENY REPORT'),
        (27147, 'AUTO X UNK INJ / IMPAIRED'),
        (25126, 'BUS BOARDING'),
        (21023, 'VERIFIED ALR / PERSON W/O CODE'),
        (20516, 'UDAA REPORT'),
        (20459, 'PERSON WITH WEAPON'),
        (19199, 'ONE DOWN OR OVER THE WHEEL'),
        (18820, 'BURGLARY OCCUPIED RESD I/P'),
        (17892, 'SHOTS FIRED IP'),
        (15491, 'INVESTIGATE AUTO'),
        (13902, 'MALICIOUS DESTRUCTION I/P'),
        (13353, 'MISCELLANEOUS TRAFFIC'),
        (13197, 'BUILDING CHECK'),
        (13055, 'FRAUD REPORT'),
        (12991, 'PANIC / DURESS ALARM'),
        (12809, 'AUTO X OR PED X - INJURIES'),
        (11889, 'THREATS REPORT'),
        (11623, 'VICIOUS ANIMAL'),
        (11429, 'LARCENY I/P OR J/H'),
        (11162, 'HOLD UP ALARM AND MOW'),
        (11036, 'RECOVER AUTO'),
        (10635, 'MALICIOUS DESTRUCTION RPT'),
        (10609, 'MENTAL VIOLENT NOT ARMED'),
        (10604, 'AUTO X HIT& RUN UNK INJURIES'),
        (9101, 'BURGLARY OTHER'),
        (9065, 'PARKING COMPLAINT'),
        (8902, 'INFORMATION/NON-CRIMINAL RPT'),
        (8728, 'WELL BEING CHECK'),
        (8376, 'ASSIST OTHER'),
        (7893, 'ASSAULT AND BATTERY REPORT'),
    )
    # fmt: on
    header = (
        "Incident ID",
        "Agency",
        "Incident Address",
        "Zip Code",
        "Priority",
        "Call Code",
        "Call Description",
        "Category",
        "Call Time",
        "Precinct/Scout Car Area",
        "Responding Unit",
        "Officer Initiated",
        "Intake Time",
        "Dispatch Time",
        "Travel Time",
        "Total Response Time",
        "Time On Scene",
        "Total Time",
        "Neighborhood",
        "Block ID",
        "Council District",
        "Longitude",
        "Latitude",
    )  # fmt: skip
    types = {
        "suicide": (("SUICIDE THREAT", 4985), ("SUICIDE I/P", 3671)),
        "crisis": (("MENTAL VIOLENT NOT ARMED", 10609), ("MENTAL NOT VIOLENT", 5789)),
        "welfare": (("WELL BEING CHECK", 1),),
        "person_down": (("ONE DOWN OR OVER THE WHEEL", 1),),
        "overdose": (("ONE DOWN/DRUG OD", 4690), ("ONE DOWN/OVERDOSE", 189)),
        "intoxicated": (("DISTURBANCE", 1),),
        "disturbance": (("DISTURBANCE", 1),),
        "trespass": (("INVESTIGATE PERSON", 1),),
        "unhoused": (("INVESTIGATE PERSON", 1),),
        "missing_elder": (("MISSING SERIOUS", 1),),
        "youth": (("MISSING REPORT", 1),),
        "family": (("DV A/B I/P-J/H", 1),),
        "threats": (("THREATS REPORT", 11889), ("HARASSMENT REPORT", 3219)),
        "outreach": ((calltypes.OUTREACH_TYPE, 1),),
    }

    def __init__(self, rng):
        super().__init__(rng)
        self.codes: dict[str, str] = {}  # illustrative call codes, one per description

    def numbering(self, local):
        return None  # one running number

    def cells(self, record, number):
        rng, local = self.rng, self.local(record)
        call_type = self.call_type(record)
        code = self.codes.setdefault(call_type, f"{len(self.codes) + 1:04d}")
        precinct = 1 + places.DISTRICTS.index(record.district) % 12
        car = f"{precinct:02d}{rng.randrange(1, 10):02d}"
        intake, dispatch, travel = (
            rng.uniform(0.2, 3), rng.uniform(0.5, 40), rng.uniform(2, 25)
        )  # fmt: skip
        on_scene = rng.uniform(5, 90)
        initiated = record.source in ("officer_initiated", "outreach")
        return [
            str(170_000_000 + number),
            "DPD",
            _block(record.address, "{hundreds}00 {street}").upper(),
            _zip(record.address),
            str(record.priority),
            code,
            call_type,
            call_type.split()[0].split("/")[0],
            local.strftime(US_TIME),
            car,
            f"{car}{pick(rng, 'ABC')}",
            "Yes" if initiated else "No",
            f"{intake:.2f}",
            f"{dispatch:.2f}",
            f"{travel:.2f}",
            f"{intake + dispatch + travel:.2f}",
            f"{on_scene:.2f}",
            f"{intake + dispatch + travel + on_scene:.2f}",
            record.district.name,
            str(260_000_000_000 + number % 100_000),
            str(1 + precinct % 7),
            f"{record.longitude!r}",
            f"{record.latitude!r}",
        ]


CITIES: dict[str, type[City]] = {c.key: c for c in (Seattle, NewOrleans, Detroit)}


def write_export(
    path,
    city: str = "seattle",
    *,
    seed: int = 42,
    scale: float = 1.0,
    background: float = 0.0,
    internal: bool = False,
    until: date = UNTIL,
    progress: bool = False,
) -> int:
    """Write the export (atomically) and return its number of data rows.

    `scale` is the seed's (1: about 15,000 Cedar County calls over two years); `background`
    is the share of the file's rows that are the city's other calls (0 <= background < 1).
    """
    if city not in CITIES:
        raise ValueError(f"unknown city {city!r} (known: {', '.join(CITIES)})")
    if not 0 <= background < 1:
        raise ValueError("background is a share: 0 <= background < 1")
    rng = random.Random(f"{seed}:{city}")
    shape = CITIES[city](rng)
    seed_records = list(_seed_records(seed, scale, until, progress))
    extra = round(len(seed_records) * background / (1 - background))
    others = _background(rng, shape, extra, until)
    header = list(shape.header)
    if internal:
        header += INTERNAL_COLUMNS.values()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    rows = 0
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")  # as Socrata's exports
            writer.writerow(header)
            numbers: dict[object, int] = defaultdict(int)
            for record in heapq.merge(seed_records, others, key=lambda r: r.at):
                key = shape.numbering(shape.local(record))
                numbers[key] += 1
                cells = shape.cells(record, numbers[key])
                if internal:
                    cells += [record.narrative, record.caller_name, _written(record.caller_phone)]
                writer.writerow(cells)
                rows += 1
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return rows


# --- the records ---------------------------------------------------------------------------------

_CATEGORY = {
    text: category.key
    for category in calltypes.CATEGORIES
    for _, text in (*category.city_types, *category.county_types)
}
_CATEGORY[calltypes.OUTREACH_TYPE] = "outreach"
_DISTRICT = {d.name: d for d in places.DISTRICTS}


class _CallsOnly:
    """A sink keeping only calls.csv of the generated county."""

    def __init__(self):
        self.calls: list[dict[str, str]] = []

    def add(self, name: str, row: dict[str, str]) -> None:
        if name == "calls.csv":
            self.calls.append(row)

    def truth(self, row) -> None:
        pass

    def close(self) -> None:
        pass


def _seed_records(seed, scale, until, progress) -> Iterator[Record]:
    sink = _CallsOnly()
    County(seed, scale, until).run(sink, progress)
    for row in sink.calls:
        yield Record(
            datetime.fromisoformat(row["received_at"]).astimezone(UTC),
            _CATEGORY[row["call_type"]],
            row["call_type"],
            row["source"],
            int(row["priority"]),
            row["address"],
            float(row["latitude"]),
            float(row["longitude"]),
            _DISTRICT[row["district"]],
            row["narrative"],
            row["caller_name"],
            row["caller_phone"],
        )


def _background(rng, shape: City, count: int, until: date) -> list[Record]:
    """`count` of the city's other calls over the seed's two years, in time order."""
    first = until - timedelta(days=DAYS - 1)
    hours = Picker(enumerate(HOURLY))
    district = Picker((d, d.weight) for d in places.DISTRICTS)
    out = []
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(DAYS))
        at = datetime.combine(day, time(hours(rng), rng.randrange(60), rng.randrange(60)), ZONE)
        at = at.astimezone(UTC)
        where = district(rng)
        place = places.public_place(rng, where) if rng.random() < 0.5 else places.home(rng, where)
        call_type = shape.background(rng)
        onview = any(word in call_type for word in _ONVIEW)
        source = (
            "officer_initiated" if onview else ("911" if rng.random() < 0.85 else "non_emergency")
        )
        caller = "" if onview or rng.random() < 0.1 else _number(rng, wide=True)
        narrative = f"Caller reports {call_type.lower()} at {place.address.split(',')[0]}"
        priority = _priority(rng, call_type)
        out.append(
            Record(
                at,
                "",
                call_type,
                source,
                priority,
                place.address,
                place.latitude,
                place.longitude,
                where,
                narrative,
                "",
                caller,
            )  # fmt: skip
        )
    out.sort(key=lambda record: record.at)
    return out


_ONVIEW = ("ONVIEW", "OFFICER INITIATED", "TRAFFIC STOP", "PREMISE CHECK", "BUILDING CHECK",
           "AREA CHECK", "BUSINESS CHECK", "SPECIAL ATTENTION", "START OF SHIFT")  # fmt: skip


def _priority(rng, call_type: str) -> int:
    categories = vera.categories_of(call_type)
    if categories & {"Violent Crime", "Officer Needs Help", "Medical Emergencies", "Fire"}:
        return pick(rng, (1, 1, 2))
    if categories & {"Behavioral Health", "Domestic Violence", "Missing Persons"}:
        return pick(rng, (1, 2, 2, 3))
    return pick(rng, (2, 3, 3, 4, 4, 5))


def _block(address: str, template: str) -> str:
    """'1234 Oak St, Riverton, CO 80521' -> '012XX Oak St' (a block, as exports publish)."""
    head = address.split(",")[0].strip()
    number, _, street = head.partition(" ")
    if " block of " in head:
        number, street = head.split(" block of ", 1)
    if not number.isdigit():
        return head
    street = street.split(" Apt ")[0]
    return template.format(hundreds=int(number) // 100, street=street)


def _zip(address: str) -> str:
    tail = address.rsplit(" ", 1)[-1]
    return tail if tail.isdigit() and len(tail) == 5 else ""


def _written(digits: str) -> str:
    """How a CAD shows a number: (970) 555-0142."""
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits
