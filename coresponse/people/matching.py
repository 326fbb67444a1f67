"""Lookup-time matching: which stored records may be the person described by a few fields.

    find(first_name="Bob", last_name="Smyth", dob=date(1974, 2, 3), phone="970-555-0142")
    -> [Match(person=<Person Robert Smith>, score=0.998, why=("same phone number", "day and
       month swapped", "nickname of the same name", "last name one typing slip apart")), ...]

Tolerates typing slips, nicknames, a swapped day and month and missing fields. Candidates come
from the blocking keys stored on Person (people.normalize: phonetic codes of the names with
nicknames resolved, the birth date with day and month sorted, the phone's digits, house number
and postcode, the street), combined as the batch linker's blocking rules combine them, in one
round trip of small indexed selects; each candidate is then scored with the newest linkage
model (the same Fellegi-Sunter weights the batch linker estimated; the declared defaults before
any `coresponse link` run), in Python.

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
from coresponse.people.linkage.model import Model, Scored, default_parameters, probability
from coresponse.people.linkage.records import part, record
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


def key_queries(wanted: dict) -> list[list[dict]]:
    """The conditions of the records that may be `wanted` (lookup_keys): one query per blocking
    rule of the batch linker (linkage.comparisons.BLOCKING_RULES) the given values allow, each
    a list of clauses that must all hold, a clause {column: value} holding when any of its
    columns has its value (a list value: any of them).

    Every query starts with an indexed key, and Person's indexes hold most of the columns the
    other clauses check. So a record saved later finds every record the batch would have
    compared it with, and at a million records a common name brings its namesakes born that
    year, on that day, or on that street, not all of them."""
    last, firsts = wanted.get("last_key"), sorted(wanted.get("first_keys") or ())
    dob, phone, address = wanted.get("dob_key"), wanted.get("phone_key"), wanted.get("address_key")
    street, house, postcode = wanted.get("street"), wanted.get("house"), wanted.get("postcode")
    names = _given({"last_key": last, "first_key": firsts})  # either name code
    queries = []
    if last and firsts:  # both names, with the year, the day and month, or the street
        near = _given({"dob_year": dob[:4] if dob else "", "dob_days": dob[4:] if dob else "",
                       "street_key": street})  # fmt: skip
        queries.append([{"last_key": last}, {"first_key": firsts}, *([near] if near else [])])
    if dob and names:
        queries.append([{"dob_key": dob}, names])
    # A phone or an address is shared by a household or a shelter: with either name, unless the
    # caller gave no name at all. A shelter's address is shared by thousands of records: it is
    # indexed with each name code, one query each.
    if phone:
        queries.append([{"phone_key": phone}, *([names] if names else [])])
    if address and names:
        queries.extend([{"address_key": address}, {name: value}] for name, value in names.items())
    elif address:
        queries.append([{"address_key": address}])
    swapped_first, swapped_last = wanted.get("swap_first_key"), wanted.get("swap_last_key")
    if swapped_first and swapped_last:  # first and last name the other way round
        queries.append([{"last_key": swapped_last}, {"first_key": swapped_first}])
    place = _given({"house_key": house, "postcode_key": postcode})
    if dob and (place or not queries):  # both names slipped: the birth date with the address
        queries.append([{"dob_key": dob}, *([place] if place else [])])
    return queries


def _given(clause: dict) -> dict:
    return {column: value for column, value in clause.items() if value}


def lookup_keys(first_name="", last_name="", dob=None, phone="", address="") -> dict:
    first_keys = normalize.first_keys_for_lookup(first_name)
    parts = normalize.address(address)
    street, house, postcode = normalize.part_keys(parts.street, parts.house, parts.postcode)
    return {
        "first_keys": first_keys,
        "last_key": normalize.last_key(last_name),
        "dob_key": normalize.dob_key(dob),
        "phone_key": normalize.phone_key(phone),
        "address_key": normalize.address_key(parts),
        "street": street,
        "house": house,
        "postcode": postcode,
        "swap_first_key": normalize.first_key(normalize.last_name_part(last_name)),
        "swap_last_key": normalize.phonetic(normalize.first_name(first_name)),
    }


def record_keys(linkage_record: dict) -> dict:
    """What lookup_keys gives, for a stored record's linkage record (the incremental linker)."""
    first = linkage_record["first_key"]
    street, house, postcode = normalize.part_keys(
        linkage_record["street"], linkage_record["house"], linkage_record["postcode"]
    )
    return {
        "first_keys": {first} if first else set(),
        "last_key": linkage_record["last_key"],
        "dob_key": linkage_record["dob_key"],
        "phone_key": linkage_record["phone"],
        "address_key": linkage_record["address_key"],
        "street": street,
        "house": house,
        "postcode": postcode,
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
    find() scores them all and makes instances of the handful it keeps."""
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
_ID_AT = _NAMES.index("id")


class _Comparer:
    """The query compared with stored rows of Person. A comparison reads only its `inputs` of a
    record, so records alike in them (namesakes, one address) share its level: each group of
    comparisons is worked out once per distinct value of what it reads. A comparison the query
    gives nothing to compare is at its null level (weight 0) for every record."""

    def __init__(self, model: Model, query: dict):
        self.model, self.query = model, query
        groups: dict[tuple[str, ...], list[int]] = {}
        for at, (comparison, _) in enumerate(model.comparisons):
            if not comparison.null(query, query):
                groups.setdefault(comparison.inputs, []).append(at)
        self.plan = []
        for inputs, positions in groups.items():
            read = tuple(name for name in inputs if name in _NAMES)  # a Person has no identifier
            self.plan.append((read, [_NAMES.index(name) for name in read], positions, {}))

    def _group(self, row, read, at, positions, seen) -> tuple[list[int], float]:
        """(levels, weight) of one group of comparisons for the row."""
        alike = tuple(row[i] for i in at)
        found = seen.get(alike)
        if found is None:
            stored, comparisons = part(read, alike), self.model.comparisons
            levels = [comparisons[p][0].level(self.query, stored) for p in positions]
            weight = sum(comparisons[p][1][lv] for p, lv in zip(positions, levels, strict=True))
            found = seen[alike] = (levels, weight)
        return found

    def weight(self, row) -> float:
        """The pair's match weight."""
        return self.model.prior_weight + sum(self._group(row, *g)[1] for g in self.plan)

    def levels(self, row) -> tuple[int, ...]:
        """The level of each comparison of the model (what weight() worked out)."""
        out = [0] * len(self.model.comparisons)
        for group in self.plan:
            for position, level in zip(group[2], self._group(row, *group)[0], strict=True):
                out[position] = level
        return tuple(out)


# The SQL of each column of key_queries (two of them are parts of a stored key).
_SQL_OF = {
    **{f.name: connection.ops.quote_name(f.column) for f in _FIELDS},
    "dob_year": "substr(dob_key, 1, 4)",
    "dob_days": "substr(dob_key, 5, 4)",
}


def _where(query: list[dict]) -> tuple[str, list]:
    """A query of key_queries as SQL on Person's columns."""
    clauses, params = [], []
    for clause in query:
        alternatives = []
        for name, value in clause.items():
            column = _SQL_OF[name]
            if isinstance(value, list):
                alternatives.append(f"{column} IN ({sql.marks(value)})")
                params.extend(value)
            else:
                alternatives.append(f"{column} = %s")
                params.append(value)
        clauses.append(
            alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"
        )
    return " AND ".join(clauses), params


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
    compare = _Comparer(model, query)
    ranked = []
    for row in found:
        chance = probability(compare.weight(row))
        if chance >= min_score:
            ranked.append((-chance, row[_ID_AT], row))
    ranked.sort(key=lambda item: item[:2])
    return [
        (Person.from_db(connection.alias, _NAMES, row), model.scored(compare.levels(row)))
        for _, _, row in ranked[:limit]
    ]
