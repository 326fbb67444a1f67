"""The synthetic humans and the person records agencies keep of them.

A Human is the truth; an agency's person record is a view of it that drifts the way real records
do: nicknames ("Robert" / "Bob"), typing slips, accents dropped, names in capitals, day and month
swapped, a birthday off by a day or a year, an old address, a missing or different phone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from . import names, places
from .sampling import Picker, pick, weighted

RACES = (
    ("white", 66.0),
    ("hispanic_latino", 19.0),
    ("black", 3.5),
    ("asian", 3.0),
    ("american_indian_alaska_native", 2.5),
    ("native_hawaiian_pacific_islander", 0.4),
    ("multiracial", 3.6),
    ("other", 0.5),
    ("unknown", 1.5),
)
LANGUAGE_BY_RACE = {
    "asian": ("Vietnamese", "Mandarin", "Korean", "Vietnamese"),
    "black": ("Somali", "Tigrinya", "Amharic"),
    "american_indian_alaska_native": ("Navajo",),
}
RACE_PICKER = Picker(RACES)


class Human:
    """One synthetic human; the agencies' person records are views of it."""

    __slots__ = (
        "hid", "sex", "first", "last", "dob", "race", "language", "veteran", "home", "phone",
        "category", "substance", "remaining", "gap", "records", "crisis", "events",
        "old_address",
    )  # fmt: skip

    def __init__(self, hid: int):
        self.hid = hid
        self.records: dict[str, str] = {}  # agency external id -> person id
        self.crisis: list[datetime] = []  # times of crisis encounters
        self.events = 0  # bit 1: ER transport, bit 2: EMS, bit 4: jail


ER, EMS, JAIL = 1, 2, 4


def frequent(times: list[datetime], n: int = 3, window: timedelta = timedelta(days=365)) -> bool:
    """At least n crisis encounters within some window-long stretch."""
    return any(times[i + n - 1] - times[i] <= window for i in range(len(times) - n + 1))


def new_human(rng, hid: int, category, district, until: date) -> Human:
    """A new human first met on a call of `category` in `district`."""
    human = Human(hid)
    key = category.key
    roll = rng.random()
    human.sex = "male" if roll < 0.55 else "female" if roll < 0.99 else "unknown"
    if roll >= 0.998:
        human.sex = "intersex"
    human.race = RACE_PICKER(rng)
    human.language = language(rng, human.race)
    age = virtual_age(rng, key)
    born = until - timedelta(days=age * 365 + rng.randrange(365))
    human.dob = born
    human.veteran = age >= 21 and rng.random() < (0.13 if human.sex == "male" else 0.03)
    group = name_group(rng, human.race)
    sex_key = "female" if human.sex == "female" else "male"
    if human.sex in ("unknown", "intersex"):
        sex_key = pick(rng, ("male", "female"))
    firsts = names.FIRST_NAMES[group][sex_key] if group != "general" else ()
    if not firsts or rng.random() < 0.3:
        firsts = names.FIRST_NAMES["general"][sex_key]
    human.first = pick(rng, firsts)
    lasts = names.LAST_NAMES[group]
    human.last = pick(rng, lasts)
    if group == "hispanic_latino" and rng.random() < 0.5:
        human.first, human.last = (
            names.strip_accents(human.first),
            names.strip_accents(human.last),
        )
    unhoused = key == "unhoused" or (key in ("trespass", "person_down") and rng.random() < 0.5)
    unhoused = unhoused or rng.random() < 0.05
    human.home = None if unhoused else places.home(rng, district)
    human.old_address = places.street_address(rng, pick(rng, places.CITY_DISTRICTS))
    human.phone = f"(970) 555-{rng.randrange(10000):04d}" if rng.random() < 0.8 else ""
    human.category = category
    human.substance = 0.5 if rng.random() < 0.15 else 0.0
    # How often this human will come back: most never, a heavy tail often.
    roll = rng.random()
    if roll < 0.815:
        human.remaining, human.gap = 0, 0.0
    elif roll < 0.945:
        human.remaining, human.gap = 1, rng.uniform(30, 240)
    else:
        human.remaining = min(40, 1 + int(rng.paretovariate(1.15)))
        human.gap = rng.uniform(10, 50)
    return human


def language(rng, race: str) -> str:
    if race == "hispanic_latino" and rng.random() < 0.3:
        return "Spanish"
    if race in LANGUAGE_BY_RACE and rng.random() < 0.2:
        return pick(rng, LANGUAGE_BY_RACE[race])
    roll = rng.random()
    if roll < 0.004:
        return "American Sign Language"
    if roll < 0.007 and race in ("white", "other"):
        return "Arabic"
    return "English"


def person_row(rng, human: Human, agency: str, person_id: str) -> dict[str, str]:
    """The agency's record of the human: the clinic's is nearly exact, the others drift."""
    exact = agency == "cedar-bhc"
    slip = 0.03 if exact else 1.0
    first, last, dob = human.first, human.last, human.dob
    sex, race, language = human.sex, human.race, human.language
    address = human.home.address if human.home else ""
    phone = human.phone
    veteran = "true" if human.veteran else "false"
    if human.home is None:
        address = (
            places.SHELTER[1] if rng.random() < 0.3 else ("" if rng.random() < 0.5 else "Unhoused")
        )
    if rng.random() < 0.2 * slip and first in names.NICKNAMES:
        first = pick(rng, names.NICKNAMES[first])
    if rng.random() < 0.05 * slip:
        first = names.typo(rng, first)
    if rng.random() < 0.05 * slip:
        last = names.typo(rng, last)
    if not exact and rng.random() < 0.6:
        first, last = names.strip_accents(first), names.strip_accents(last)
    if not exact and ("-" in last or " " in last) and rng.random() < 0.4:
        last = last.replace("-", " ").split(" ")[0]
    if not exact and "'" in last and rng.random() < 0.5:
        last = last.replace("'", "")
    roll = rng.random()
    if roll < 0.05 * slip and dob.day <= 12 and dob.day != dob.month:
        dob = date(dob.year, dob.day, dob.month)  # day and month swapped
    elif roll < 0.08 * slip:
        dob += timedelta(days=pick(rng, (-1, 1)))
    elif roll < 0.11 * slip:
        dob = dob.replace(year=dob.year + pick(rng, (-1, 1))) if dob.day != 29 else dob
    dob_text = dob.isoformat()
    if not exact and agency != "st-brigid" and rng.random() < 0.05:
        dob_text = ""
    if not exact:
        roll = rng.random()
        if roll < 0.2:
            address = human.old_address  # moved since
        elif roll < 0.3:
            address = ""
        elif roll < 0.45:
            address = places.spelled_out(address)
        roll = rng.random()
        if roll < 0.3:
            phone = ""
        elif roll < 0.4:
            phone = f"(970) 555-{rng.randrange(10000):04d}"
        if rng.random() < 0.03:
            sex = "unknown"
        if rng.random() < 0.12:
            # Police records often log Hispanic people as white; others leave it out.
            race = "white" if race == "hispanic_latino" else "unknown"
        if agency in ("riverton-pd", "cedar-so"):
            if rng.random() < 0.3:
                language = ""
            if rng.random() < 0.35:  # records systems that keep names in capitals
                first, last = first.upper(), last.upper()
        elif phone and rng.random() < 0.4:
            phone = phone.replace("(970) ", "970-")
        veteran = "" if rng.random() < 0.5 else veteran
    return {
        "person_id": person_id,
        "agency_id": agency,
        "first_name": first,
        "last_name": last,
        "dob": dob_text,
        "sex": sex,
        "race_ethnicity": race,
        "address": address,
        "phone": phone,
        "veteran": veteran,
        "language": language,
    }


def enrollment_provider(rng, human: Human, until: date) -> tuple[str, str]:
    """The long-term care a client enrolls in: (service type, provider)."""
    if human.veteran and rng.random() < 0.5:
        return "veterans", "VA Clinic Riverton"
    if human.substance and rng.random() < 0.6:
        return "substance_use_treatment", "Riverton Recovery Center"
    if age(human.dob, until) < 18:
        return "youth", "Cedar Youth & Family Services"
    if human.category.key == "missing_elder":
        return "case_management", "Cedar County Area Agency on Aging"
    return weighted(
        rng,
        ((("outpatient_mental_health", "Cedar BHC Outpatient"), 45),
         (("case_management", "Cedar BHC Assertive Community Treatment"), 30),
         (("psychiatry", "Cedar BHC Psychiatry Clinic"), 25)),
    )  # fmt: skip


def age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def virtual_age(rng, key: str) -> int:
    if key == "youth":
        return rng.randint(12, 17)
    if key == "missing_elder":
        return rng.randint(66, 85)
    band = weighted(
        rng,
        (((12, 17), 5), ((18, 25), 18), ((26, 35), 23), ((36, 45), 19), ((46, 55), 15),
         ((56, 65), 11), ((66, 85), 9)),
    )  # fmt: skip
    return rng.randint(*band)


def name_group(rng, race: str) -> str:
    if race in names.LAST_NAMES:
        return race
    if race == "multiracial":
        return pick(rng, ("general", "hispanic_latino", "black", "asian"))
    return "general"
