"""Linkage records: a person record reduced to the columns the comparisons read.

One row per record, every value cleaned the way coresponse.people.normalize says; a missing
value is None (SQL NULL), so "both blank" is never taken for agreement.
"""

from __future__ import annotations

from functools import lru_cache

from coresponse.people import normalize

# The columns of a linkage record, in the order the tables handed to Splink have them.
COLUMNS = (
    "unique_id", "source", "first", "first_formals", "first_key", "last", "last_part",
    "last_key", "dob", "dob_swapped", "dob_year", "dob_md", "dob_key", "sex", "phone", "phone7",
    "house", "street", "locality", "postcode", "address_key", "identifier", "identifier_digits",
    "identifier_head", "identifier_tail", "swap_first_key", "swap_last_key",
)  # fmt: skip
# The Person fields a linkage record is made from.
PERSON_FIELDS = ("id", "agency_id", "first_name", "last_name", "dob", "sex", "phone", "address")


def _none(text):
    return text if text else None


# A million records hold a few thousand distinct names, dates and addresses: each distinct
# value is reduced once.
@lru_cache(maxsize=65_536)
def _first(text) -> tuple:
    first = normalize.first_name(text)
    formals = normalize.formal_names(first)
    return (
        _none(first),
        sorted(formals) if formals else None,
        _none(normalize.first_key(first)),
        _none(normalize.phonetic(first)),
    )


@lru_cache(maxsize=262_144)
def _last(text) -> tuple:
    part = normalize.last_name_part(text)
    return (
        _none(normalize.last_name(text)),
        _none(part),
        _none(normalize.phonetic(part)),
        _none(normalize.first_key(part)),
    )


@lru_cache(maxsize=65_536)
def _born(value) -> tuple:
    born = normalize.dob_parts(value)
    return (
        _none(normalize.dob_text(value)),
        _none(normalize.dob_swapped(value)),
        born[0] if born else None,
        f"{born[1]:02d}-{born[2]:02d}" if born else None,
        _none(normalize.dob_key(value)),
    )


_address = lru_cache(maxsize=262_144)(normalize.address)


def record(
    unique_id,
    source="",
    *,
    first_name="",
    last_name="",
    dob=None,
    sex="",
    phone="",
    address="",
    house=None,
    street=None,
    locality=None,
    postcode=None,
    identifier=None,
) -> dict:
    """The linkage record of one person record. `address` is a one-line street address; the
    parts (house, street, locality, postcode) may be given instead, as some sources keep them."""
    return {
        "unique_id": unique_id,
        "source": str(source),
        **_names(first_name or "", last_name or ""),
        **_birth(dob),
        **_sex(sex),
        **_phone(phone),
        **_place(address, house, street, locality, postcode),
        **_identifier(identifier),
    }


def part(inputs: tuple[str, ...], values: tuple) -> dict:
    """Only the columns these arguments of record() feed (a comparison's `inputs`): what the
    lookup compares of a stored record, built without the rest."""
    given = dict(zip(inputs, values, strict=True))
    out = {}
    if "first_name" in given or "last_name" in given:
        out.update(_names(given.get("first_name") or "", given.get("last_name") or ""))
    for name, columns in (
        ("dob", _birth), ("sex", _sex), ("phone", _phone), ("address", _place),
        ("identifier", _identifier),
    ):  # fmt: skip
        if name in given:
            out.update(columns(given[name]))
    return out


def _names(first_name: str, last_name: str) -> dict:
    first, formals, first_key, first_code = _first(first_name)
    last, last_part, last_key, swap_first_key = _last(last_name)
    return {
        "first": first,
        "first_formals": formals,
        "first_key": first_key,
        "last": last,
        "last_part": last_part,
        "last_key": last_key,
        # The keys the record would have with first and last name the other way round.
        "swap_first_key": swap_first_key,
        "swap_last_key": first_code,
    }


def _birth(dob) -> dict:
    dob_text, dob_swapped, dob_year, dob_md, dob_key = _born(dob)
    return {
        "dob": dob_text,
        "dob_swapped": dob_swapped,
        "dob_year": dob_year,
        "dob_md": dob_md,
        "dob_key": dob_key,
    }


def _sex(sex) -> dict:
    sex = str(sex or "").strip().lower()
    return {"sex": sex if sex in normalize.SEX_VALUES else None}


def _phone(phone) -> dict:
    digits = normalize.phone_digits(phone)
    return {"phone": _none(digits), "phone7": _none(digits[-7:])}


def _place(address, house=None, street=None, locality=None, postcode=None) -> dict:
    parts = _address(address or "")
    house = normalize.clean(house).replace(" ", "") if house is not None else parts.house
    street = (
        normalize._street(normalize.clean(street).split()) if street is not None else parts.street
    )
    locality = normalize.clean(locality) if locality is not None else parts.locality
    postcode = (
        normalize.clean(postcode).replace(" ", "") if postcode is not None else parts.postcode
    )
    return {
        "house": _none(house),
        "street": _none(street),
        "locality": _none(locality),
        "postcode": _none(postcode),
        "address_key": _none(
            normalize.address_key(normalize.Address(house, street, locality, postcode))
        ),
    }


def _identifier(identifier) -> dict:
    identifier = normalize.clean(identifier).replace(" ", "") if identifier else ""
    long_enough = len(identifier) >= 6
    return {
        "identifier": _none(identifier),
        # Its characters in sorted order: the same for two digits swapped ("5211176"/"5211167").
        "identifier_digits": _none("".join(sorted(identifier))),
        # Its halves: one of them survives a single mistyped character.
        "identifier_head": _none(identifier[: len(identifier) // 2]) if long_enough else None,
        "identifier_tail": _none(identifier[len(identifier) // 2 :]) if long_enough else None,
    }


def person_record(values: dict) -> dict:
    """The linkage record of a Person, from its PERSON_FIELDS values."""
    return record(
        values["id"],
        values["agency_id"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        dob=values["dob"],
        sex=values["sex"],
        phone=values["phone"],
        address=values["address"],
    )


def person_records(persons) -> list[dict]:
    """Linkage records of a Person queryset (read in one pass, in id order)."""
    rows = persons.order_by("id").values(*PERSON_FIELDS).iterator(chunk_size=20_000)
    return [person_record(values) for values in rows]


def present_columns(records) -> set[str]:
    """The columns with a value in at least one record (dicts, or a table of to_arrow's)."""
    if hasattr(records, "num_rows"):
        return {c for c in COLUMNS if records.column(c).null_count < records.num_rows}
    present: set[str] = set()
    remaining = set(COLUMNS)
    for row in records:
        found = {column for column in remaining if row.get(column) is not None}
        if found:
            present |= found
            remaining -= found
            if not remaining:
                break
    return present


def to_arrow(records: list[dict]):
    """The records as a pyarrow Table with a fixed schema (Splink's input). A batch run builds
    it once and hands it to both training and prediction."""
    import pyarrow as pa

    types = {
        "unique_id": pa.int64(),
        "first_formals": pa.list_(pa.string()),
        "dob_year": pa.int32(),
    }
    schema = pa.schema([(c, types.get(c, pa.string())) for c in COLUMNS])
    return pa.Table.from_pydict({c: [r[c] for r in records] for c in COLUMNS}, schema=schema)
