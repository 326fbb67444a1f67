"""Lookup-time matching: which stored records may be the person described by a few fields.

    find(first_name="Bob", last_name="Smyth", dob=date(1974, 2, 3), phone="970-555-0142")
    -> [Match(person=<Person Robert Smith>, score=0.998, why=("same phone number", "day and
       month swapped", "nickname of the same name", "last name one typing slip apart")), ...]

Tolerates typing slips, nicknames, a swapped day and month and missing fields. Candidates come
from the blocking keys indexed on Person (people.normalize: phonetic codes of the names with
nicknames resolved, the birth date with day and month sorted, the phone's digits, house number
and postcode), one round trip of small indexed selects; each candidate is then scored with the
newest linkage model (the same Fellegi-Sunter weights the batch linker estimated; the declared
defaults before any `coresponse link` run), in Python.

This is the people layer: records are returned whatever the caller may see. Callers above the
privacy layer must pass the results through its selectors before showing anything.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import NamedTuple

from django.db import connection

from coresponse import sql
from coresponse.people import normalize
from coresponse.people.linkage.model import Model, Scored, default_parameters
from coresponse.people.linkage.records import PERSON_FIELDS, person_record, record
from coresponse.people.models import LinkModel, Person

CANDIDATES_PER_KEY = 200  # at most this many records per blocking key (a very common name)
MODEL_TTL = 30.0  # seconds a process keeps the newest model before looking for a newer one


class Match(NamedTuple):
    person: Person
    score: float  # match probability, 0..1
    why: tuple[str, ...]  # the strongest agreements and disagreements, in words


_lock = threading.Lock()
_shared: dict = {}


def current_model(refresh: bool = False) -> Model:
    """The newest saved linkage model (or the defaults), cached for MODEL_TTL seconds."""
    now = time.monotonic()
    with _lock:
        cached = _shared.get("model")
        if cached and not refresh and now - cached[1] < MODEL_TTL:
            return cached[0]
    row = LinkModel.objects.order_by("-version").first()
    if row is None:
        model = Model(default_parameters())
    else:
        model = Model(
            row.parameters,
            version=row.version,
            pk=row.pk,
            auto_threshold=row.auto_threshold,
            review_threshold=row.review_threshold,
        )
    with _lock:
        _shared["model"] = (model, now)
    return model


def forget_model() -> None:
    """Drop the cached model (after a new version is saved in this process)."""
    with _lock:
        _shared.pop("model", None)


def key_queries(wanted: dict) -> list[dict]:
    """One indexed condition per blocking rule the given values allow: {column: value} (a list
    value: any of them), every column required."""
    last, firsts = wanted.get("last_key"), sorted(wanted.get("first_keys") or ())
    dob, phone, address = wanted.get("dob_key"), wanted.get("phone_key"), wanted.get("address_key")
    queries = []
    if last and firsts:
        queries.append({"last_key": last, "first_key": firsts})
    if dob and last:
        queries.append({"dob_key": dob, "last_key": last})
    if dob and firsts:
        queries.append({"dob_key": dob, "first_key": firsts})
    if phone:
        queries.append({"phone_key": phone})
    if address:
        queries.append({"address_key": address})
    swapped_first, swapped_last = wanted.get("swap_first_key"), wanted.get("swap_last_key")
    if swapped_first and swapped_last:  # first and last name the other way round
        queries.append({"first_key": swapped_first, "last_key": swapped_last})
    # Everyone born that day (or on its swap): alone, or with a house number or postcode (the
    # batch pairs a birth date with either; Person indexes neither, and a birth date is shared
    # by a few dozen records of a million, so the date's records cover both rules).
    if dob and (not queries or wanted.get("house") or wanted.get("postcode")):
        queries.append({"dob_key": dob})
    return queries


def lookup_keys(first_name="", last_name="", dob=None, phone="", address="") -> dict:
    first_keys = normalize.first_keys_for_lookup(first_name)
    parts = normalize.address(address)
    return {
        "first_keys": first_keys,
        "last_key": normalize.last_key(last_name),
        "dob_key": normalize.dob_key(dob),
        "phone_key": normalize.phone_key(phone),
        "address_key": normalize.address_key(parts),
        "house": parts.house,
        "postcode": parts.postcode,
        "swap_first_key": normalize.first_key(normalize.last_name_part(last_name)),
        "swap_last_key": normalize.phonetic(normalize.first_name(first_name)),
    }


def record_keys(linkage_record: dict) -> dict:
    """What lookup_keys gives, for a stored record's linkage record (the incremental linker)."""
    first = linkage_record["first_key"]
    return {
        "first_keys": {first} if first else set(),
        "last_key": linkage_record["last_key"],
        "dob_key": linkage_record["dob_key"],
        "phone_key": linkage_record["phone"],
        "address_key": linkage_record["address_key"],
        "house": linkage_record["house"],
        "postcode": linkage_record["postcode"],
        "swap_first_key": linkage_record["swap_first_key"],
        "swap_last_key": linkage_record["swap_last_key"],
    }


def candidates(wanted: dict, *, per_key: int = CANDIDATES_PER_KEY, exclude=()) -> list[Person]:
    """Records sharing a blocking key with `wanted` (lookup_keys), each at most once.

    One round trip: the records whose id is in a UNION of the per-key selects of ids, each
    capped at `per_key`. Written out by hand (coresponse.sql): the crisis alert runs this a
    hundred times a second, and building it with the ORM cost more than the database's
    answer. The records come without their agency loaded."""
    rows = _candidate_rows(wanted, per_key=per_key, exclude=exclude)
    return [Person.from_db(connection.alias, _NAMES, row) for row in rows]


def _candidate_rows(wanted: dict, *, per_key: int, exclude=()) -> list[list]:
    """candidates() as rows of Person's columns (in _NAMES order), not yet model instances:
    find() scores a few hundred of them at a million records and keeps a handful."""
    skip = sorted(int(pid) for pid in exclude)
    parts, params = [], []
    for query in key_queries(wanted):
        where, values = _where(query)
        if skip:
            where += f" AND id NOT IN ({sql.marks(skip)})"
            values.extend(skip)
        parts.append(
            f"SELECT * FROM (SELECT id FROM {_TABLE} WHERE {where} LIMIT {int(per_key)})"
            f" AS key_{len(parts)}"
        )
        params.extend(values)
    if not parts:
        return []
    with sql.cursor() as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM {_TABLE} WHERE id IN ({' UNION '.join(parts)})"
            " ORDER BY last_name, first_name, id",
            params,
        )
        return _read(cursor.fetchall())


_TABLE = Person._meta.db_table
_FIELDS = list(Person._meta.concrete_fields)
_NAMES = [f.attname for f in _FIELDS]
_COLUMNS = ", ".join(connection.ops.quote_name(f.column) for f in _FIELDS)
_read = sql.reader(*_FIELDS)
_SCORED_AT = [(name, _NAMES.index(name)) for name in PERSON_FIELDS]  # what the model compares
_ID_AT = _NAMES.index("id")


def _where(query: dict) -> tuple[str, list]:
    """A condition of key_queries as SQL on Person's columns."""
    parts, params = [], []
    for name, value in query.items():
        column = connection.ops.quote_name(Person._meta.get_field(name).column)
        if isinstance(value, list):
            parts.append(f"{column} IN ({sql.marks(value)})")
            params.extend(value)
        else:
            parts.append(f"{column} = %s")
            params.append(value)
    return " AND ".join(parts), params


def find(
    first_name: str = "",
    last_name: str = "",
    dob: date | str | None = None,
    address: str = "",
    phone: str = "",
    limit: int = 5,
    *,
    min_score: float = 0.1,
    exclude: tuple[int, ...] | list[int] = (),
    model: Model | None = None,
) -> list[Match]:
    """The stored records most likely to be the person described, best first: at most `limit`
    whose match probability is at least `min_score`. `dob` is a date or "YYYY-MM-DD"; any
    field may be left out. `exclude` lists record ids not to return (the caller's own)."""
    ranked = find_scored(
        first_name, last_name, dob, address, phone, limit,
        min_score=min_score, exclude=exclude, model=model,
    )  # fmt: skip
    return [Match(person, round(result.probability, 4), result.why()) for person, result in ranked]


def find_scored(
    first_name: str = "",
    last_name: str = "",
    dob: date | str | None = None,
    address: str = "",
    phone: str = "",
    limit: int = 5,
    *,
    min_score: float = 0.1,
    exclude: tuple[int, ...] | list[int] = (),
    model: Model | None = None,
) -> list[tuple[Person, Scored]]:
    """As find(), with the full evidence of each record (comparison by comparison)."""
    if isinstance(dob, str):
        dob = date.fromisoformat(dob) if dob.strip() else None
    wanted = lookup_keys(first_name, last_name, dob, phone, address)
    found = _candidate_rows(wanted, per_key=CANDIDATES_PER_KEY, exclude=exclude)
    if not found:
        return []
    model = model or current_model()
    query = record(
        0, "", first_name=first_name, last_name=last_name, dob=dob, phone=phone, address=address
    )
    scored = []
    for row in found:
        result = model.score(query, person_record({name: row[at] for name, at in _SCORED_AT}))
        if result.probability >= min_score:
            scored.append((row, result))
    scored.sort(key=lambda item: (-item[1].probability, item[0][_ID_AT]))
    return [
        (Person.from_db(connection.alias, _NAMES, row), result) for row, result in scored[:limit]
    ]
