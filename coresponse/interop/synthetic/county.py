"""Cedar County: a deterministic synthetic county for demos, tests and benchmarks.

    files = generate(seed=42).files          # {"calls.csv": [{"call_id": ...}, ...], ...}
    write("out/", seed=42, scale=10)         # the same bundle streamed to CSV files

Cedar County (county seat: the city of Riverton, America/Denver) runs three programs: Riverton
PD's ride-along co-responder unit (afternoons and evenings), the Sheriff's on-call clinician
(the unincorporated county, and Riverton overnight) and a civilian three-person team (SCRT:
paramedic, clinician, peer; daytime, low-risk calls in the city). Two years of calls end on
`until` (default 2026-10-31, local time); `--scale 1` is about 15,000 calls.

The data is an exchange bundle (docs/exchange-format.md): every value a string as it appears in
the CSV. The same seed gives the same bundle, byte for byte (one `random.Random(seed)`, no clock,
no global random, no iteration over unordered sets). Its rates are calibrated to published
co-responder results (see DESIGN.md section 4 and tests/test_seed.py for the bands):

- ~75% of calls become a crisis encounter with a person; the rest find nobody
  (unable_to_locate, no person), are cancelled, or fall in a coverage gap (no program, no
  encounter: Riverton overnight when the on-call clinician is not called);
- arrest ~2% (jail booking in about 60% of them), citation ~1%, ER transport ~6%, involuntary
  hold ~6% (falling from ~8% to ~4% over the two years), use of force ~0.5%, resolved on scene
  ~50%, at least one service ~86%, arrest-eligible ~10% of which about half end with a referral
  and no arrest; the officer clears early in ~30% of ride-along calls (rising over the period);
- people: most appear once, a heavy tail comes back (about 5% have three or more crisis
  encounters within twelve months). Each human has a cedar-bhc record, and often records at
  Riverton PD or the Sheriff, Cedar County EMS and St. Brigid, under slightly different names,
  birthdates, addresses and phones; an encounter points at the record of the agency that
  documented it.

identity_truth.csv (only written by `write`, never imported): person_id, human_id — which person
records belong to the same (synthetic) human, the ground truth for evaluating identity
resolution. Person ids are numbered per agency in order of first use, so they reveal nothing.
"""

from __future__ import annotations

import heapq
import math
import random
import sys
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from . import calltypes, names, notes, people, places, trust
from .cedar import (
    AGENCIES,
    BASE_CALLS,
    DAYS,
    FREQUENT_CALLER_CALLS,
    FREQUENT_CALLER_WINDOW,
    ON_CALL,
    PERSON_PREFIX,
    PROGRAMS,
    RIDE_ALONG,
    SCRT,
    UNTIL,
    ZONE,
)
from .people import EMS, ER, JAIL, Human
from .sampling import Picker, choose, pick, weighted
from .sinks import CsvSink, MemorySink
from .steps import STAMPS as STEP_STAMPS
from .steps import referral_stamps

# Calls per hour of the local day: quiet at 4-6 am, peak late afternoon and evening.
HOURLY = (
    3.0, 2.5, 2.1, 1.7, 1.2, 1.1, 1.5, 2.3, 3.2, 3.9, 4.4, 4.7,
    5.0, 5.2, 5.6, 6.0, 6.4, 6.6, 6.5, 6.1, 5.6, 5.0, 4.3, 3.6,
)  # fmt: skip
WEEKLY = (1.06, 1.04, 1.02, 1.0, 0.99, 0.94, 0.95)  # Monday first

SOURCES = ("911", "non_emergency", "988", "officer_initiated")
SOURCE_WEIGHTS = {
    # per category: 911, non-emergency, 988 transfer, officer-initiated
    "suicide": (70, 6, 22, 2),
    "crisis": (70, 12, 12, 6),
    "welfare": (60, 32, 5, 3),
    "person_down": (85, 5, 0, 10),
    "overdose": (92, 2, 4, 2),
    "intoxicated": (70, 15, 0, 15),
    "disturbance": (82, 10, 0, 8),
    "trespass": (65, 25, 0, 10),
    "unhoused": (45, 35, 0, 20),
    "missing_elder": (85, 15, 0, 0),
    "youth": (75, 18, 7, 0),
    "family": (90, 8, 2, 0),
    "threats": (80, 15, 0, 5),
}
OUTREACH_SHARE = 0.07  # of daytime (08-18) calls, when known clients exist

# Extra minutes on scene by disposition (transport, hold paperwork, custody).
EXTRA_ON_SCENE = {
    "voluntary_transport_crisis_center": 35,
    "voluntary_transport_er": 45,
    "involuntary_hold": 70,
    "arrest": 40,
    "transferred_ems": 12,
    "referred": 10,
}
# Chance an encounter with this disposition leads to at least one referral.
REFERRAL_CHANCE = {
    "referred": 1.0,
    "resolved_on_scene": 0.3,
    "voluntary_transport_crisis_center": 0.6,
    "voluntary_transport_er": 0.3,
    "involuntary_hold": 0.35,
    "arrest": 0.2,
    "citation": 0.6,
    "refused_services": 0.04,
    "transferred_ems": 0.2,
}
DIVERSION_REFERRAL_CHANCE = 0.6  # arrest-eligible, not arrested: referred instead of charged

# Referral providers by service type (invented local names).
PROVIDERS = {
    "crisis_stabilization": ("Cedar BHC Crisis Stabilization Unit",),
    "detox": ("Riverton Withdrawal Management Center",),
    "shelter": ("Harbor House Shelter", "Riverton Rescue Mission", "Safe Haven Women's Shelter"),
    "outpatient_mental_health": (
        "Cedar BHC Outpatient",
        "Willow Creek Counseling",
        "Riverton Family Counseling",
    ),
    "substance_use_treatment": ("Riverton Recovery Center", "New Dawn Treatment Services"),
    "peer_support": ("Cedar Peer Network", "NAMI Cedar County"),
    "case_management": ("Cedar BHC Case Management",),
    "psychiatry": ("Cedar BHC Psychiatry Clinic", "St. Brigid Behavioral Medicine"),
    "food": ("Riverton Food Bank", "Cedar Community Kitchen"),
    "housing": ("Cedar County Housing Authority", "Cedar Coordinated Entry"),
    "veterans": ("VA Clinic Riverton",),
    "youth": ("Cedar Youth & Family Services",),
    "primary_care": ("Riverton Community Health Clinic",),
}

# Presenting concern -> service types a clinician refers to for it.
REFERRAL_NEEDS = {
    "suicidal_ideation": ("outpatient_mental_health", "psychiatry", "crisis_stabilization"),
    "psychosis": ("psychiatry", "case_management", "outpatient_mental_health"),
    "depression": ("outpatient_mental_health", "psychiatry", "peer_support"),
    "anxiety": ("outpatient_mental_health", "peer_support"),
    "substance_use": ("substance_use_treatment", "detox", "peer_support"),
    "dementia": ("case_management", "primary_care"),
    "developmental": ("case_management", "youth"),
    "family_conflict": ("outpatient_mental_health", "youth"),
    "homelessness": ("shelter", "housing", "food", "case_management"),
    "welfare": ("case_management", "primary_care", "food", "outpatient_mental_health"),
}

# --- sinks ---------------------------------------------------------------------------------------


@dataclass
class Generated:
    files: dict[str, list[dict[str, str]]]
    identity_truth: list[dict[str, str]]


def generate(
    seed: int = 42, scale: float = 1.0, until: date = UNTIL, progress: bool = False
) -> Generated:
    """The bundle in memory (for import_bundle(MemorySource(...)))."""
    sink = MemorySink()
    County(seed, scale, until).run(sink, progress)
    return Generated(sink.files, sink.identity_truth)


def write(
    directory, seed: int = 42, scale: float = 1.0, until: date = UNTIL, progress: bool = False
) -> dict[str, int]:
    """Stream the bundle and identity_truth.csv into `directory`; returns rows per file."""
    sink = CsvSink(directory)
    try:
        County(seed, scale, until).run(sink, progress)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return dict(sink.counts)


# --- people --------------------------------------------------------------------------------------


# --- the generator -------------------------------------------------------------------------------


@dataclass
class Call:
    """What the generator knows about a call while it builds the call's rows."""

    id: str
    number: str  # the id's year-and-sequence part, shared by the encounter, referrals...
    at: datetime  # UTC
    local: datetime
    frac: float  # 0..1 position in the period
    category: calltypes.Category
    source: str
    priority: int
    place: places.Place
    weapon: bool
    program: str | None
    human: Human | None = None


class County:
    def __init__(self, seed: int, scale: float, until: date):
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.rng = random.Random(seed)
        self.trust = random.Random(f"{seed}:trust")  # its own stream: the rest is unchanged
        self.until = until
        self.first_day = until - timedelta(days=DAYS - 1)
        self.as_of = datetime.combine(until + timedelta(days=1), time(0), ZONE).astimezone(UTC)
        self.total = BASE_CALLS * scale
        # Fixed-width numbers keep ids in time (or creation) order when sorted as text.
        self.id_width = max(6, len(str(round(self.total * 0.7))))  # calls per year, with room
        self.person_width = max(5, len(str(round(self.total * 1.2))))  # never more humans
        self.humans: list[Human] = []
        self.due: list[tuple[datetime, int, int]] = []  # (when, tie-break, hid) returns
        self.known: list[int] = []  # hids of humans seen at least twice, or unhoused
        self.person_seq = dict.fromkeys(PERSON_PREFIX, 0)
        self.year_seq: dict[int, int] = {}
        self.enrollment_seq = 0
        self.hour_picker = Picker(enumerate(HOURLY))
        self.district_picker = Picker((d, d.weight) for d in places.DISTRICTS)
        city = [(c, c.share) for c in calltypes.CATEGORIES]
        county = [(c, c.share) for c in calltypes.CATEGORIES if c.county_types]
        self.category_picker = {True: Picker(city), False: Picker(county)}
        self.type_picker = {
            (c.key, True): Picker((t, n) for n, t in c.city_types) for c in calltypes.CATEGORIES
        }
        self.type_picker.update(
            {
                (c.key, False): Picker((t, n) for n, t in c.county_types)
                for c in calltypes.CATEGORIES
                if c.county_types
            }
        )
        self.source_picker = {
            key: Picker(zip(SOURCES, weights, strict=True))
            for key, weights in SOURCE_WEIGHTS.items()
        }
        # Callers are drawn from a stream of their own, so that everything else is the same
        # with or without them.
        self.callers = random.Random(f"{seed}:callers")
        self.households: dict[int, tuple[str, str]] = {}  # hid -> (caller's name, number)
        self.numbers: set[str] = set()  # household numbers given out
        self.recent: dict[str, deque] = {}  # number -> times of its calls in the window

    # -- the run ------------------------------------------------------------------------------

    def run(self, sink, progress: bool = False) -> None:
        self.sink = sink
        for agency_id, name, kind in AGENCIES:
            sink.add("agencies.csv", {"agency_id": agency_id, "name": name, "kind": kind})
        for program in PROGRAMS:
            sink.add(
                "programs.csv",
                {
                    "program_id": program["program_id"],
                    "name": program["name"],
                    "model": program["model"],
                    "agency_ids": ";".join(sorted(program["agency_ids"])),
                    "focus_population": program["focus_population"],
                },
            )
        day_weights = [self._day_weight(i) for i in range(DAYS)]
        norm = self.total / sum(day_weights)
        bar = _progress(DAYS, progress)
        calls = 0
        for index in range(DAYS):
            expected = day_weights[index] * norm
            count = max(0, round(self.rng.gauss(expected, math.sqrt(expected))))
            for at in self._times(index, count):
                self._call(at, index / (DAYS - 1))
            calls += count
            if bar is not None:
                bar.update(1)
                if index % 30 == 29:
                    bar.set_postfix(calls=calls, refresh=False)
        if bar is not None:
            bar.close()
        self._finish()

    def _day_weight(self, index: int) -> float:
        day = self.first_day + timedelta(days=index)
        season = 1 + 0.08 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)
        trend = 0.95 + 0.10 * index / (DAYS - 1)  # the programs grow ~5% a year
        return WEEKLY[day.weekday()] * season * trend

    def _times(self, index: int, count: int) -> list[datetime]:
        """`count` call times on day `index`, in UTC, sorted. A wall time that the spring change
        skips lands an hour off; the hour the autumn change repeats gets both of its offsets."""
        day = self.first_day + timedelta(days=index)
        rng = self.rng
        out = []
        for _ in range(count):
            hour = self.hour_picker(rng)
            seconds = rng.randrange(3600)
            local = datetime(
                day.year, day.month, day.day, hour, seconds // 60, seconds % 60,
                tzinfo=ZONE, fold=rng.getrandbits(1),
            )  # fmt: skip
            out.append(local.astimezone(UTC))
        out.sort()
        return out

    # -- one call -----------------------------------------------------------------------------

    def _next_id(self, local: datetime) -> tuple[str, str]:
        seq = self.year_seq.get(local.year, 0) + 1
        self.year_seq[local.year] = seq
        number = f"{local.year}-{seq:0{self.id_width}d}"
        return f"C{number}", number

    def _call(self, at: datetime, frac: float) -> None:
        rng = self.rng
        local = at.astimezone(ZONE)
        hour = local.hour
        call_id, number = self._next_id(local)

        if 8 <= hour < 18 and self.known and rng.random() < OUTREACH_SHARE:
            self._outreach(call_id, number, at, local, frac)
            return

        returning = None
        if self.due and self.due[0][0] <= at:
            returning = self.humans[self.due[0][2]]
        if returning is not None:
            district = returning.home.district if returning.home else self._downtown()
            category = returning.category
            if rng.random() < 0.4:
                category = self.category_picker[district.city](rng)
                age = people.age(returning.dob, local.date())
                if (category.key == "youth" and age >= 18) or (
                    category.key == "missing_elder" and age < 60
                ):
                    category = calltypes.BY_KEY["crisis"]
        else:
            district = self.district_picker(rng)
            category = self.category_picker[district.city](rng)
        if not district.city and not category.county_types:
            category = calltypes.BY_KEY[calltypes.COUNTY_FALLBACK[category.key]]

        call_type = self.type_picker[(category.key, district.city)](rng)
        source = self.source_picker[category.key](rng)
        weapon = call_type in calltypes.WEAPON_TYPES or rng.random() < 0.035
        priority = pick(rng, category.priority)
        if source == "non_emergency":
            priority = min(5, priority + 1)
        if weapon:
            priority = 1
        low_risk = not weapon and priority >= 3 and rng.random() < category.low_risk
        at_home = rng.random() < category.at_home
        if source == "988" and category.key in calltypes.HOME:
            at_home = True  # the crisis line hands over callers at home, or their families
        program = self._program(district, hour, low_risk, source)

        # What came of it: a coverage gap, a cancelled call, nobody found, or a person.
        roll = rng.random()
        outcome = "person"
        if program is None:
            outcome = "gap"
        elif roll < 0.07:
            outcome = "cancelled"
        elif roll < 0.07 + _UNABLE_TO_LOCATE.get(category.key, 0.05):
            outcome = "unable_to_locate"

        human = None
        if outcome == "person":
            if returning is not None:
                heapq.heappop(self.due)
                human = returning
            else:
                human = self._new_human(category, district)
        if human is not None and human.home is not None and at_home:
            place = human.home
        elif at_home and category.key != "unhoused":
            place = places.home(rng, district)
        else:
            place = places.public_place(rng, district)

        call = Call(
            call_id, number, at, local, frac, category, source, priority, place, weapon, program,
            human,
        )  # fmt: skip
        self.sink.add(
            "calls.csv",
            {
                "call_id": call_id,
                "received_at": _iso(at),
                "source": source,
                "call_type": call_type,
                "priority": str(priority),
                "address": place.address,
                "latitude": repr(place.latitude),
                "longitude": repr(place.longitude),
                "district": district.name,
                "narrative": self._narrative(call, at_home),
                "program_id": program or "",
                **self._caller(call, at_home),
            },
        )
        if outcome == "person":
            self._encounter(call, "crisis")
        elif outcome == "unable_to_locate":
            self._encounter(call, "crisis", located=False)

    def _downtown(self) -> places.District:
        return places.DISTRICTS[0] if self.rng.random() < 0.7 else places.DISTRICTS[1]

    def _program(self, district, hour: int, low_risk: bool, source: str) -> str | None:
        rng = self.rng
        if not district.city:
            return ON_CALL
        scrt = 7 <= hour < 19 and low_risk and source != "officer_initiated"
        ride = 11 <= hour < 23
        if scrt and (not ride or rng.random() < 0.85):
            return SCRT
        if ride:
            return RIDE_ALONG
        if scrt:
            return SCRT
        # Riverton overnight: patrol calls the on-call clinician for about two thirds of these.
        return ON_CALL if rng.random() < 0.65 else None

    def _outreach(self, call_id, number, at, local, frac) -> None:
        rng = self.rng
        human = self.humans[pick(rng, self.known)]
        category = calltypes.BY_KEY["unhoused" if human.home is None else "welfare"]
        district = human.home.district if human.home else self._downtown()
        place = human.home or places.public_place(rng, district)
        program = SCRT if district.city else ON_CALL
        slots = {"place": _place_name(place)}
        call = Call(
            call_id, number, at, local, frac, category, "outreach", 5, place, False, program,
            human,
        )  # fmt: skip
        self.sink.add(
            "calls.csv",
            {
                "call_id": call_id,
                "received_at": _iso(at),
                "source": "outreach",
                "call_type": calltypes.OUTREACH_TYPE,
                "priority": "5",
                "address": place.address,
                "latitude": repr(place.latitude),
                "longitude": repr(place.longitude),
                "district": district.name,
                "narrative": pick(rng, calltypes.OUTREACH_NOTES).format(**slots),
                "program_id": program,
                **NO_CALLER,
            },
        )
        self._encounter(call, "outreach", located=rng.random() > 0.12)

    def _narrative(self, call: Call, at_home: bool) -> str:
        rng = self.rng
        human = call.human
        if human is not None:
            sex = human.sex if human.sex in calltypes.PRONOUNS else pick(rng, ("male", "female"))
            age = people.age(human.dob, call.local.date())
        else:
            sex = pick(rng, ("male", "female"))
            age = people.virtual_age(rng, call.category.key)
        key = call.category.key
        templates = (calltypes.HOME if at_home else calltypes.PUBLIC).get(key) or (
            calltypes.PUBLIC.get(key) or calltypes.HOME[key]
        )
        pronouns = calltypes.PRONOUNS[sex]
        decade = max(10, age // 10 * 10)
        slots = {
            "rp": pick(rng, ("her", "his")),
            "rel": calltypes.relation(rng, sex, age),
            "sx": sex,
            "Sx": sex.capitalize(),
            "age": f"approx {decade}s" if age >= 18 else f"juvenile approx {age}",
            "years": str(age),
            "place": _place_name(call.place),
            "site": call.place.name or f"the {pick(rng, calltypes.SITES)} on {call.place.street}",
            "school": pick(rng, calltypes.SCHOOLS),
            "street": call.place.street,
            **pronouns,
        }
        text = SOURCE_PREFIX.get(call.source, "") + pick(rng, templates).format(**slots)
        if call.weapon:
            text += pick(rng, calltypes.WEAPON_NOTES).format(**pronouns)
        return text

    # -- callers ------------------------------------------------------------------------------

    def _caller(self, call: Call, at_home: bool) -> dict[str, str]:
        """Who called and from what number, and whether the number is a frequent caller's.

        A call about someone at home comes from their household (the person or the relative who
        usually calls), always from the same number, so the people who keep coming back make
        their household a frequent caller; a call from a public place usually comes from a
        passer-by. Officer-initiated calls and outreach have no caller."""
        if call.source == "officer_initiated":
            return NO_CALLER
        rng = self.callers
        human = call.human
        if human is not None and (at_home or rng.random() < 0.25):
            name, number = self.households.get(human.hid) or self._household(human)
        else:
            name = "" if rng.random() < 0.2 else _caller_name(rng, pick(rng, LAST))
            number = _number(rng)
        times = self.recent.setdefault(number, deque())
        while times and times[0] <= call.at - FREQUENT_CALLER_WINDOW:
            times.popleft()
        times.append(call.at)
        return {
            "caller_name": name,
            "caller_phone": number,
            "frequent_caller": _bool(len(times) >= FREQUENT_CALLER_CALLS),
        }

    def _household(self, human: Human) -> tuple[str, str]:
        rng = self.callers
        if rng.random() < 0.35:
            name = f"{human.first} {human.last}"  # the person calls for themself
        else:
            name = _caller_name(rng, human.last)
        number = _number(rng)
        tries = 0
        while number in self.numbers:  # one number per household
            tries += 1
            # Past ~200,000 households (--scale 59) the areas' 555 numbers run out: any area.
            number = _number(rng, wide=True) if tries < 50 else _any_number(rng)
        self.numbers.add(number)
        self.households[human.hid] = name, number
        return name, number

    # -- people -------------------------------------------------------------------------------

    def _new_human(self, category, district) -> Human:
        human = people.new_human(self.rng, len(self.humans), category, district, self.until)
        self.humans.append(human)
        return human

    def _record(self, human: Human, agency: str) -> str:
        person_id = human.records.get(agency)
        if person_id is None:
            self.person_seq[agency] += 1
            person_id = f"{PERSON_PREFIX[agency]}-P{self.person_seq[agency]:0{self.person_width}d}"
            human.records[agency] = person_id
        return person_id

    def _documenting_agency(self, program: str, city: bool) -> str:
        roll = self.rng.random()
        if program == SCRT:
            return "cedar-ems" if roll < 0.15 else "cedar-bhc"
        if program == RIDE_ALONG:
            return "riverton-pd" if roll < 0.2 else "cedar-bhc"
        police = "riverton-pd" if city else "cedar-so"
        return police if roll < 0.25 else "cedar-bhc"

    # -- the encounter ------------------------------------------------------------------------

    def _encounter(self, call: Call, kind: str, located: bool = True) -> None:
        rng = self.rng
        category = call.category
        program = call.program
        human = call.human if located else None
        city = call.place.district.city

        # Times: received -> dispatched -> on scene -> cleared (officer may clear earlier).
        dispatch_median = (1.0, 1.5, 2.5, 4.0, 6.0)[call.priority - 1]
        dispatched = call.at + _minutes(rng.lognormvariate(math.log(dispatch_median), 0.6))
        travel_median = {SCRT: 7.5, RIDE_ALONG: 6.0}.get(program, 16.0 if not city else 12.0)
        travel = rng.lognormvariate(math.log(travel_median), 0.5)
        if rng.random() < 0.08:  # the team was finishing another call
            travel += rng.uniform(5, 35)
        on_scene = dispatched + _minutes(travel)

        if not located:
            disposition = "unable_to_locate"
        else:
            weights = list(category.outcomes)
            weights[4] *= 1.3 - 0.6 * call.frac  # involuntary holds fall over the period
            if kind == "outreach":
                weights = [55, 30, 3, 1, 0.5, 0, 0, 10, 0.5]
            disposition = calltypes.DISPOSITIONS[choose(rng, weights)]

        arrest = disposition == "arrest"
        citation = disposition == "citation" or (
            disposition in ("resolved_on_scene", "referred") and rng.random() < 0.002
        )
        jail = arrest and rng.random() < 0.6
        hold = disposition == "involuntary_hold"
        er = (
            disposition == "voluntary_transport_er"
            or (hold and rng.random() < 0.4)
            or (disposition == "transferred_ems" and rng.random() < 0.7)
            or (arrest and rng.random() < 0.05)
        )
        admitted = er and rng.random() < (0.45 if hold else 0.3)
        force = rng.random() < (0.12 if arrest else 0.04 if hold else 0.0005)
        eligible = arrest or citation or (located and rng.random() < category.arrest_eligible)
        weapon_present = located and ((call.weapon and rng.random() < 0.6) or rng.random() < 0.004)
        injuries = located and (
            (force and rng.random() < 0.3)
            or (category.key in ("suicide", "overdose") and er and rng.random() < 0.4)
            or rng.random() < 0.006
        )

        duration = rng.lognormvariate(math.log(38), 0.5)
        duration += EXTRA_ON_SCENE.get(disposition, 0)
        if not located:
            duration = rng.uniform(4, 20)
        cleared = on_scene + _minutes(duration)
        officer_cleared = None
        if program == RIDE_ALONG or (program == ON_CALL and kind == "crisis"):
            early = (0.30 + 0.14 * call.frac) if program == RIDE_ALONG else 0.35
            if (
                located
                and disposition not in ("arrest", "involuntary_hold")
                and (rng.random() < early)
            ):
                officer_cleared = on_scene + _minutes(duration * rng.uniform(0.15, 0.7))
            else:
                officer_cleared = cleared

        concerns: list[str] = []
        services: list[str] = []
        referrals: list[str] = []
        person_id = ""
        clinical = substance_text = ""
        if located:
            person = human
            if kind == "crisis":
                person.crisis.append(call.at)
                if person.remaining > 0:
                    person.remaining -= 1
                    gap = rng.expovariate(1 / person.gap) + 1
                    heapq.heappush(
                        self.due, (call.at + timedelta(days=gap), person.hid, person.hid)
                    )
                if len(person.crisis) == 2 or (person.home is None and len(person.crisis) == 1):
                    self.known.append(person.hid)
            if er:
                person.events |= ER
            if disposition == "transferred_ems" or er:
                person.events |= EMS
            if jail:
                person.events |= JAIL
            agency = "cedar-bhc" if kind == "outreach" else self._documenting_agency(program, city)
            person_id = self._record(person, agency)
            substance = rng.random() < max(category.substance, person.substance)
            age = people.age(person.dob, call.local.date())
            concerns = self._concerns(category.key, person, age, substance)
            referrals = self._referral_types(disposition, eligible, concerns, person, age)
            services = self._services(program, disposition, concerns, er, bool(referrals))
            pronouns = calltypes.PRONOUNS.get(person.sex) or calltypes.PRONOUNS["male"]
            if rng.random() < 0.92:
                clinical = notes.clinical_note(
                    rng, concerns, disposition, pronouns, call.local.year, kind == "outreach"
                )
            if substance:
                substance_text = notes.substance_note(rng, pronouns)

        encounter_id = f"E{call.number}"
        self.sink.add(
            "encounters.csv",
            {
                "encounter_id": encounter_id,
                "call_id": call.id,
                "person_id": person_id,
                "program_id": program,
                "kind": kind,
                "dispatched_at": _iso(dispatched),
                "on_scene_at": _iso(on_scene),
                "cleared_at": _iso(cleared),
                "officer_cleared_at": _iso(officer_cleared) if officer_cleared else "",
                "disposition": disposition,
                "services": ";".join(services),
                "arrest": _bool(arrest),
                "citation": _bool(citation),
                "jail_booking": _bool(jail),
                "er_transport": _bool(er),
                "hospital_admission": _bool(admitted),
                "involuntary_hold": _bool(hold),
                "use_of_force": _bool(force),
                "arrest_eligible": _bool(eligible),
                "clinical_note": clinical,
                "substance_use_note": substance_text,
                "presenting_concerns": ";".join(concerns),
                "weapon_present": _bool(weapon_present),
                "injuries": _bool(injuries),
            },
        )
        if not located:
            return
        for index, service_type in enumerate(referrals, start=1):
            self._referral(call, encounter_id, person_id, index, service_type, cleared)
        self._followups(call, encounter_id, person_id, kind, disposition, concerns, cleared)

    def _concerns(self, key: str, human: Human, age: int, substance: bool) -> list[str]:
        rng = self.rng
        out: list[str] = []
        if key == "suicide":
            out.append("suicidal_ideation")
            if rng.random() < 0.6:
                out.append("depression")
        elif key in ("crisis", "disturbance", "threats"):
            out.append(
                weighted(
                    rng,
                    (
                        ("psychosis", 45),
                        ("anxiety", 22),
                        ("depression", 18),
                        ("developmental", 7),
                        ("family_conflict", 8),
                    ),
                )  # fmt: skip
            )
        elif key in ("welfare", "person_down"):
            out.append("welfare")
            if age >= 70 and rng.random() < 0.4:
                out.append("dementia")
            elif rng.random() < 0.3:
                out.append("depression")
        elif key == "overdose":
            if rng.random() < 0.15:
                out.append("suicidal_ideation")
        elif key == "trespass":
            out.append(pick(rng, ("psychosis", "welfare")))
        elif key == "unhoused":
            if rng.random() < 0.45:
                out.append(pick(rng, ("psychosis", "depression")))
        elif key == "missing_elder":
            out.extend(("dementia", "welfare"))
        elif key == "youth":
            out.append(
                weighted(rng, (("family_conflict", 50), ("suicidal_ideation", 30),
                                ("developmental", 20)))
            )  # fmt: skip
            if rng.random() < 0.3 and "depression" not in out:
                out.append("depression")
        elif key == "family":
            out.append("family_conflict")
            if rng.random() < 0.5:
                out.append(pick(rng, ("psychosis", "depression")))
        if substance or key in ("intoxicated", "overdose"):
            out.append("substance_use")
        if human.home is None:
            out.append("homelessness")
        if not out:
            out.append("welfare")
        return list(dict.fromkeys(out))

    def _referral_types(self, disposition, eligible, concerns, human, age) -> list[str]:
        rng = self.rng
        chance = REFERRAL_CHANCE[disposition]
        if eligible and disposition not in ("arrest", "referred"):
            chance = max(chance, DIVERSION_REFERRAL_CHANCE)
        if rng.random() >= chance:
            return []
        count = 1
        if disposition == "referred":
            roll = rng.random()
            count = 1 if roll < 0.7 else 2 if roll < 0.95 else 3
        needs: list[str] = []
        if disposition == "voluntary_transport_crisis_center":
            needs.append("crisis_stabilization")
        for concern in concerns:
            needs.extend(REFERRAL_NEEDS[concern])
        if human.veteran:
            needs.insert(0, "veterans")
        if age < 18:
            needs.insert(0, "youth")
        needs = list(dict.fromkeys(needs))
        out = []
        for _ in range(count):
            # Mostly the first need, sometimes another; never the same service twice.
            options = [n for n in needs if n not in out]
            if not options:
                break
            out.append(options[0] if rng.random() < 0.55 else pick(rng, options))
        return out

    def _services(self, program, disposition, concerns, er, referred) -> list[str]:
        rng = self.rng
        chosen = set()
        if referred:
            chosen.add("referral")
        if disposition == "refused_services":
            if rng.random() < 0.3:
                chosen.add("resource_information")
            return [s for s in SERVICE_ORDER if s in chosen]
        if disposition == "arrest" and rng.random() < 0.4:
            return [s for s in SERVICE_ORDER if s in chosen]  # taken into custody first
        if rng.random() < 0.97:
            chosen.add("assessment")
        escalated = disposition in ("involuntary_hold", "arrest", "citation") or any(
            c in concerns for c in ("psychosis", "family_conflict")
        )
        if rng.random() < (0.7 if escalated else 0.3):
            chosen.add("de_escalation")
        if rng.random() < 0.6:
            chosen.add("crisis_counseling")
        if "suicidal_ideation" in concerns and rng.random() < 0.75:
            chosen.add("safety_planning")
        if rng.random() < 0.5:
            chosen.add("resource_information")
        if referred:
            chosen.add("referral")
        if er or disposition in (
            "voluntary_transport_crisis_center",
            "voluntary_transport_er",
            "involuntary_hold",
        ):
            chosen.add("transport")
        if disposition == "transferred_ems" or (program == SCRT and rng.random() < 0.25):
            chosen.add("medical_care")
        if program == SCRT and rng.random() < 0.45:
            chosen.add("peer_support")
        if "homelessness" in concerns and rng.random() < 0.6:
            chosen.add("basic_needs")
        if "family_conflict" in concerns and rng.random() < 0.6:
            chosen.add("family_support")
        if "psychosis" in concerns and rng.random() < 0.25:
            chosen.add("medication_support")
        if not chosen:
            chosen.add("assessment")
        return [s for s in SERVICE_ORDER if s in chosen]

    # -- care ---------------------------------------------------------------------------------

    def _referral(self, call, encounter_id, person_id, index, service_type, cleared) -> None:
        rng = self.rng
        sent = cleared + _minutes(rng.uniform(5, 360))
        roll = rng.random()
        if roll < 0.54:
            status, days = "completed", rng.uniform(2, 30)
        elif roll < 0.63:
            status, days = "declined", rng.uniform(0.5, 7)
        elif roll < 0.77:
            status, days = "no_show", rng.uniform(5, 21)
        elif roll < 0.85:
            status, days = "closed", rng.uniform(30, 60)
        else:
            status, days = pick(rng, ("accepted", "scheduled")), None  # stalled, still open
        closed = None
        if days is not None:
            closed = max(
                _office_hours(rng, (sent + timedelta(days=days)).astimezone(ZONE).date()), sent
            )
        if closed is None or closed > self.as_of:
            # Open when the data ends: how far the loop got depends on how long ago it was sent.
            elapsed = (self.as_of - sent).total_seconds() / 86400
            if elapsed < 1:
                status = "sent"
            elif elapsed < 3:
                status = "received"
            elif elapsed < 7 or status not in ("accepted", "scheduled"):
                status = "accepted" if elapsed < 7 else "scheduled"
            closed = None
        self.sink.add(
            "referrals.csv",
            {
                "referral_id": f"R{call.number}-{index}",
                "encounter_id": encounter_id,
                "person_id": person_id,
                "service_type": service_type,
                "provider": pick(rng, PROVIDERS[service_type]),
                "sent_at": _iso(sent),
                "status": status,
                "closed_at": _iso(closed) if closed else "",
                # The loop's steps (received, accepted, ...) as the status implies.
                **{
                    name: _iso(moment) if moment else ""
                    for name, moment in referral_stamps(
                        f"R{call.number}-{index}", status, sent, closed, self.as_of
                    ).items()
                    if name in STEP_STAMPS
                },
            },
        )

    def _followups(self, call, encounter_id, person_id, kind, disposition, concerns, cleared):
        rng = self.rng
        if kind != "crisis":
            return
        chance = {"arrest": 0.5, "refused_services": 0.6}.get(disposition, 0.86)
        if rng.random() >= chance:
            return
        plan = [rng.randint(1, 3)]
        if (
            disposition == "involuntary_hold" or "suicidal_ideation" in concerns
        ) and rng.random() < 0.25:
            plan.append(plan[0] + rng.randint(5, 9))
        local_cleared = cleared.astimezone(ZONE)
        for index, days in enumerate(plan, start=1):
            day = local_cleared.date() + timedelta(days=days)
            due = datetime.combine(day, time(rng.randint(9, 16)), ZONE).astimezone(UTC)
            completed = _office_hours(rng, day + timedelta(days=pick(rng, (0, 0, 0, 1, 1, 2))))
            completed = max(completed, cleared + _minutes(rng.uniform(30, 240)))
            recent = self.as_of - due < timedelta(days=7)
            done = rng.random() < (0.55 if recent else 0.95)
            outcome = ""
            if done and completed <= self.as_of:
                outcome = weighted(
                    rng,
                    (("connected", 65), ("contacted_not_connected", 15), ("unable_to_reach", 13),
                     ("declined", 7)),
                )  # fmt: skip
                attempts = (
                    3
                    if outcome == "unable_to_reach"
                    else weighted(rng, ((1, 60), (2, 30), (3, 10)))
                )
            else:
                completed = None
                attempts = 0 if due > self.as_of else rng.randint(0, 2)
            self.sink.add(
                "followups.csv",
                {
                    "followup_id": f"F{call.number}-{index}",
                    "encounter_id": encounter_id,
                    "person_id": person_id,
                    "due_at": _iso(due),
                    "completed_at": _iso(completed) if completed else "",
                    "outcome": outcome,
                    "attempts": str(attempts),
                },
            )

    # -- the end: person records, enrollments, ground truth ------------------------------------

    def _finish(self) -> None:
        rng = self.rng
        # Every human's records become final: the clinic's always, others by chance and by
        # what happened (an ER transport means a hospital record).
        for human in self.humans:
            seen = len(human.crisis)
            city = human.home is None or human.home.district.city
            self._record(human, "cedar-bhc")
            if rng.random() < 0.25 + 0.1 * seen:
                self._record(human, "riverton-pd" if city else "cedar-so")
            if human.events & EMS or rng.random() < 0.08:
                self._record(human, "cedar-ems")
            if human.events & ER or rng.random() < 0.06 + 0.04 * seen:
                self._record(human, "st-brigid")
            # The 988 line keeps a record of the callers it talks to (drawn from its own stream,
            # so the other agencies' records are the same with or without it).
            if self.trust.random() < 0.08 + 0.04 * min(seen, 4):
                self._record(human, "cedar-988")
        for human in self.humans:
            for row in self._enrollments(human):
                self.sink.add("enrollments.csv", row)
        for row in trust.agreement_rows():
            self.sink.add("agreements.csv", row)
        for row in trust.consent_rows(self.trust, self.humans, self.until):
            self.sink.add("consents.csv", row)
        # Person records in id order (fixed-width numbers: numeric order is text order), each
        # with its line of ground truth.
        owners = {agency: [None] * count for agency, count in self.person_seq.items()}
        for human in self.humans:
            for agency, person_id in human.records.items():
                owners[agency][int(person_id.rsplit("P", 1)[1]) - 1] = human
        for agency in sorted(PERSON_PREFIX, key=PERSON_PREFIX.get):
            for human in owners[agency]:
                person_id = human.records[agency]
                self.sink.add("persons.csv", people.person_row(self.rng, human, agency, person_id))
                self.sink.truth({"person_id": person_id, "human_id": f"H{human.hid + 1:07d}"})

    def _enrollments(self, human: Human) -> list[dict[str, str]]:
        rng = self.rng
        times = human.crisis
        if not times:
            return []
        frequent = people.frequent(times)
        chance = 0.66 if frequent else 0.15 if len(times) == 2 else 0.04
        first = times[0].astimezone(ZONE).date()
        starts = []
        if rng.random() < chance:
            starts.append(first + timedelta(days=rng.randint(2, 45)))
        if rng.random() < 0.06:
            starts.append(first - timedelta(days=rng.randint(30, 900)))  # already in care
        rows = []
        for start in sorted(starts):
            if start > self.until:
                continue
            service_type, provider = people.enrollment_provider(rng, human, self.until)
            end = ""
            if rng.random() < 0.35:
                ended = start + timedelta(days=rng.randint(60, 540))
                if ended <= self.until:
                    end = ended.isoformat()
            self.enrollment_seq += 1
            rows.append(
                {
                    "enrollment_id": f"EN-{self.enrollment_seq:06d}",
                    "person_id": human.records["cedar-bhc"],
                    "provider": provider,
                    "service_type": service_type,
                    "start_date": start.isoformat(),
                    "end_date": end,
                }
            )
        return rows


# --- small helpers -------------------------------------------------------------------------------

SOURCE_PREFIX = calltypes.SOURCE_PREFIX
SERVICE_ORDER = (
    "assessment", "de_escalation", "crisis_counseling", "safety_planning",
    "resource_information", "referral", "transport", "medical_care", "peer_support",
    "basic_needs", "family_support", "medication_support",
)  # fmt: skip
_UNABLE_TO_LOCATE = {
    "person_down": 0.16,
    "missing_elder": 0.18,
    "trespass": 0.15,
    "unhoused": 0.12,
    "intoxicated": 0.1,
    "disturbance": 0.1,
    "youth": 0.08,
}


NO_CALLER = {"caller_name": "", "caller_phone": "", "frequent_caller": "false"}
LAST = names.LAST_NAMES["general"]
# Numbers in the 555 exchange: the county's area codes first, the rest of the West for the
# callers passing through (and when the county's run out).
LOCAL_AREAS = ("970", "970", "970", "720", "303")
WIDE_AREAS = (
    "970", "720", "303", "719", "983", "307", "385", "406", "435", "480", "505", "520", "575",
    "602", "623", "702", "775", "801", "928", "208",
)  # fmt: skip


def _number(rng, wide: bool = False) -> str:
    """A 10-digit number, digits only (as intake stores them)."""
    area = pick(rng, WIDE_AREAS if wide or rng.random() < 0.1 else LOCAL_AREAS)
    return f"{area}555{rng.randrange(10000):04d}"


def _any_number(rng) -> str:
    """A 555 number of any area code."""
    return f"{rng.randrange(201, 990)}555{rng.randrange(10000):04d}"


def _caller_name(rng, last: str) -> str:
    first = pick(rng, names.FIRST_NAMES["general"][pick(rng, ("female", "male"))])
    return f"{first} {last}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(ZONE).isoformat()


def _bool(value) -> str:
    return "true" if value else "false"


def _minutes(value: float) -> timedelta:
    return timedelta(seconds=round(value * 60))


def _office_hours(rng, day: date) -> datetime:
    """A moment between 08:00 and 18:00 local on `day`, in UTC."""
    seconds = rng.randrange(8 * 3600, 18 * 3600)
    moment = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60), ZONE)
    return moment.astimezone(UTC)


def _place_name(place: places.Place) -> str:
    """How a narrative names a place: 'Cedar Park', 'the 300 block of Oak St', 'Vine Dr & ...'."""
    if place.name:
        return place.name
    head = place.address.split(",", 1)[0]
    return f"the {head}" if " block of " in head else head


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    # disable=None: shown only when stderr is a terminal, like the importer's bars.
    return tqdm(total=total, desc="generating", unit=" days", file=sys.stderr, disable=None)
