"""How person data is compared: names, birth dates, phones and addresses reduced to the forms in
which two records of one human agree, and the blocking keys stored on every Person.

The same functions feed the batch linker (coresponse.people.linkage), the lookup-time matcher
(coresponse.people.matching) and the keys kept on Person rows (services, bundle import, seed),
so the three cannot disagree about what "the same name" means. The nickname table is package
data (coresponse/people/data/nicknames.csv).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources

import jellyfish

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_DIGIT = re.compile(r"\D+")
_APOSTROPHES = re.compile(r"['’`´]")

# Words of a street name written in more than one way, reduced to one (USPS Publication 28
# abbreviations for the common suffixes and directions).
STREET_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "lane": "ln", "court": "ct", "place": "pl", "parkway": "pkwy", "boulevard": "blvd",
    "highway": "hwy", "circle": "cir", "terrace": "ter", "trail": "trl", "way": "way",
    "north": "n", "south": "s", "east": "e", "west": "w", "county": "co", "cr": "co rd",
    "mount": "mt", "saint": "st", "square": "sq", "crescent": "cres", "close": "cl",
}  # fmt: skip
UNIT_WORDS = frozenset({"apt", "apartment", "unit", "ste", "suite", "lot", "rm", "room", "#"})
# Addresses that say the person has no fixed address: not evidence about anyone.
NO_ADDRESS = frozenset({"unhoused", "homeless", "none", "unknown", "nfa", "no fixed address", "na"})
SEX_VALUES = frozenset({"female", "male", "intersex"})  # unknown and blank carry no evidence


def clean(text) -> str:
    """Lower case, accents and apostrophes dropped, anything else but letters and digits a
    single space: "José O'Brien-Smith" -> "jose obrien smith"."""
    if not text:
        return ""
    text = str(text)
    if not text.isascii():  # most records are: nothing to strip (a million of them, read often)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()


def first_name(text) -> str:
    """The given name's first word ("Mary Ann" -> "mary"; "R." -> "r")."""
    words = clean(text).split()
    return words[0] if words else ""


def last_name(text) -> str:
    """The whole surname without spaces or hyphens ("Van Dykke" -> "vandykke")."""
    return clean(text).replace(" ", "")


def last_name_part(text) -> str:
    """The surname's first word: what is left when a record drops the second part of a compound
    surname ("Martínez-Lucero" -> "martinez")."""
    words = clean(text).split()
    return words[0] if words else ""


@cache
def _nicknames() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(name -> the formal names it stands for, formal name -> the names it is recorded as)."""
    formals: dict[str, list[str]] = {}
    variants: dict[str, list[str]] = {}
    source = resources.files("coresponse.people").joinpath("data/nicknames.csv")
    with source.open(encoding="utf-8") as handle:
        rows = csv.reader(line for line in handle if not line.startswith("#"))
        next(rows)  # header
        for formal, also in rows:
            formal = first_name(formal)
            for name in [formal, *(first_name(n) for n in also.split(";"))]:
                if not name:
                    continue
                if formal not in formals.setdefault(name, []):
                    formals[name].append(formal)
                if name != formal and name not in variants.setdefault(formal, []):
                    variants[formal].append(name)
    return (
        {name: tuple(found) for name, found in formals.items()},
        {formal: tuple(found) for formal, found in variants.items()},
    )


def formal_names(first: str) -> tuple[str, ...]:
    """The formal names a (cleaned) given name may stand for, itself first: "bob" ->
    ("bob", "robert"); a name the table does not know -> just itself."""
    if not first:
        return ()
    found = _nicknames()[0].get(first, ())
    return (first, *(name for name in found if name != first))


def canonical_first(first: str) -> str:
    """One formal name for a (cleaned) given name: the name itself if the table lists it as a
    formal name, else the first formal name it stands for ("bob" -> "robert")."""
    names = formal_names(first)
    if len(names) > 1 and first not in _nicknames()[1]:
        return names[1]
    return first


def related_first_names(first: str) -> set[str]:
    """Every name a record of the same person may carry, one nickname step away: the formal
    names it stands for and their other forms ("sam" -> sam, samuel, samantha, sammy, ...)."""
    names = set(formal_names(first))
    variants = _nicknames()[1]
    for formal in list(names):
        names.update(variants.get(formal, ()))
    return names


def phonetic(text: str) -> str:
    """The Soundex code of a cleaned word (typing slips inside a name keep it; "" for none)."""
    letters = "".join(c for c in text if c.isalpha())
    return jellyfish.soundex(letters) if letters else ""


def first_key(text) -> str:
    """Blocking key of a given name: the Soundex of its canonical (formal) form."""
    return phonetic(canonical_first(first_name(text)))


def first_keys_for_lookup(text) -> set[str]:
    """The first_key values a record of the same person may have (nicknames either way)."""
    first = first_name(text)
    if not first:
        return set()
    return {phonetic(canonical_first(name)) for name in related_first_names(first)} - {""}


def last_key(text) -> str:
    """Blocking key of a surname: the Soundex of its first word."""
    return phonetic(last_name_part(text))


def dob_parts(value) -> tuple[int, int, int] | None:
    """(year, month, day) of a date, or of a text "YYYY-MM-DD" / "YYYYMMDD" even when it is not
    a real date (a typing slip in a record: "1974-02-30"); None when there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.year, value.month, value.day
    digits = _NOT_DIGIT.sub("", str(value))
    if len(digits) != 8:
        return None
    return int(digits[:4]), int(digits[4:6]), int(digits[6:])


def dob_key(value) -> str:
    """The birth date with day and month in sorted order, so that a swapped day and month
    ("1974-03-02" / "1974-02-03") share the key: "1974" + "02" + "03"."""
    parts = dob_parts(value)
    if parts is None:
        return ""
    year, month, day = parts
    low, high = sorted((month, day))
    return f"{year:04d}{low:02d}{high:02d}"


def dob_text(value) -> str:
    parts = dob_parts(value)
    return "" if parts is None else "{:04d}-{:02d}-{:02d}".format(*parts)


def dob_swapped(value) -> str:
    """The date read with day and month exchanged, when that could be a date ("" otherwise)."""
    parts = dob_parts(value)
    if parts is None:
        return ""
    year, month, day = parts
    if day > 12 or day == month or day == 0:
        return ""
    return f"{year:04d}-{day:02d}-{month:02d}"


def phone_digits(text) -> str:
    """The number's digits without a leading US 1; "" when fewer than 7 digits are left."""
    digits = _NOT_DIGIT.sub("", str(text or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else ""


def phone_key(text) -> str:
    return phone_digits(text)


@dataclass(frozen=True)
class Address:
    house: str = ""  # the house number
    street: str = ""  # the street name, suffixes and directions abbreviated
    locality: str = ""  # the town or suburb
    postcode: str = ""


def _street(words: list[str]) -> str:
    out = []
    for word in words:
        if word in UNIT_WORDS:
            break
        out.append(STREET_WORDS.get(word, word))
    return " ".join(out)


def address(text) -> Address:
    """Split "4653 Pitkin Street Apt 13C, Riverton, CO 80521" into its parts (house "4653",
    street "pitkin st", locality "riverton", postcode "80521"). A unit number is dropped: it
    is the part records disagree on most. "Unhoused" and the like give an empty Address."""
    if not text or clean(text) in NO_ADDRESS:
        return Address()
    parts = [clean(part) for part in str(text).split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return Address()
    words = parts[0].split()
    house = ""
    if words and words[0].isdigit():
        house, words = words[0], words[1:]
    street = _street(words)
    locality = postcode = ""
    rest = parts[1:]
    if rest:
        last = rest[-1].split()
        if last and last[-1].isdigit() and len(last[-1]) in (4, 5):
            postcode = last[-1]
            last = last[:-1]
            if last and len(last[-1]) == 2 and len(rest) > 1:  # a state code: "co 80521"
                last = last[:-1]
            rest = [*rest[:-1], " ".join(last)] if last else rest[:-1]
        rest = [part for part in rest if part]
        if rest:
            locality = rest[0]
    return Address(house, street, locality, postcode)


def address_key(parts: Address) -> str:
    """Blocking key of an address: house number and postcode ("4653 80521")."""
    return f"{parts.house} {parts.postcode}" if parts.house and parts.postcode else ""


# Names, dates and addresses repeat across hundreds of thousands of records: an import computes
# each distinct value's key once.
_first_key = lru_cache(maxsize=65_536)(first_key)
_last_key = lru_cache(maxsize=262_144)(last_key)
_dob_key = lru_cache(maxsize=65_536)(dob_key)


def part_keys(street, house, postcode) -> tuple[str, str, str]:
    """The stored keys of an address's street, house number and postcode: the values cut to
    their columns (a longer one is stored cut, and equal cut keys still pair it)."""
    return (street or "")[:100], (house or "")[:16], (postcode or "")[:16]


@lru_cache(maxsize=262_144)
def _address_keys(text) -> tuple[str, str, str, str]:
    parts = address(text)
    return address_key(parts), *part_keys(parts.street, parts.house, parts.postcode)


def person_keys(first, last, dob: date | None, phone, street_address) -> tuple[str, ...]:
    """The stored blocking keys of a Person, in the order of KEY_FIELDS: the name codes, the
    birth date, the phone and the address keys, then the address parts the batch linker also
    blocks on (street, house number, postcode)."""
    return (
        _first_key(first or ""),
        _last_key(last or ""),
        _dob_key(dob),
        phone_key(phone),
        *_address_keys(street_address or ""),
    )


KEY_FIELDS = (
    "first_key", "last_key", "dob_key", "phone_key", "address_key",
    "street_key", "house_key", "postcode_key",
)  # fmt: skip
KEY_SOURCES = ("first_name", "last_name", "dob", "phone", "address")
