"""identity_links.csv: which person records of the bundle are one human.

    person_id_a,person_id_b,probability,status
    bhc-P00012,rpd-P00007,0.998,auto

A link has no external id of its own: it is the pair of records, in either order. It is checked
like every other file (each problem as FILE:LINE:COLUMN: reason, nothing written when any is
found) and written in the same transaction. On import a decision in the file (confirmed,
rejected) is applied; an automatic or queued link in the file never overwrites a decision a
reviewer made in this database. See docs/exchange-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from coresponse.bulk import LOOKUP_BATCH, stored_ids
from coresponse.people.models import (
    DECIDED_STATUSES,
    IdentityLink,
    LinkSource,
    LinkStatus,
    Person,
)

from .schema import Choice, Column, Float, Ident, Problem, shown

NAME = "identity_links.csv"
COLUMNS = (
    Column("person_id_a", Ident(), required=True),
    Column("person_id_b", Ident(), required=True),
    Column("probability", Float(0, 1), required=True, constraint="identity_link_score_0_1"),
    Column("status", Choice(LinkStatus), required=True),
)
BY_NAME = {column.name: column for column in COLUMNS}
for _column in COLUMNS[:2]:
    _column.max_length = 64


@dataclass
class ParsedLinks:
    rows: list[tuple[str, str, float, str]] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)  # persons only in the database


def check_links(source, person_ids: set[str], problems: list[Problem]) -> ParsedLinks | None:
    """Parse and check identity_links.csv of `source` (None when the bundle has none).
    `person_ids` are the external ids of the bundle's persons.csv."""
    if NAME not in source.names():
        return None
    table = source.read(NAME)
    problems.extend(table.problems)
    parsed = ParsedLinks()
    if table.header is None:
        return parsed
    header = [name.strip() for name in table.header]
    position = {}
    for index, name in enumerate(header):
        if name in position:
            problems.append(Problem(NAME, table.header_line, name, "appears twice in the header"))
        elif name not in BY_NAME:
            expected = ", ".join(BY_NAME)
            problems.append(
                Problem(NAME, table.header_line, name, f"unknown column (expected: {expected})")
            )
        position.setdefault(name, index)
    missing = [column.name for column in COLUMNS if column.name not in position]
    for name in missing:
        problems.append(Problem(NAME, table.header_line, name, "column is missing from the header"))
    if missing:
        return parsed
    parsers = [(c.name, position[c.name], c.parser()) for c in COLUMNS]
    first_line: dict[tuple[str, str], int] = {}
    references: list[tuple[int, str, str]] = []
    for line, cells in table.rows:
        if len(cells) != len(header):
            reason = f"has {len(cells)} values; the header has {len(header)} columns"
            problems.append(Problem(NAME, line, "", reason))
            continue
        values, bad = [], False
        for name, index, parse in parsers:
            try:
                values.append(parse(cells[index]))
            except ValueError as error:
                problems.append(Problem(NAME, line, name, str(error)))
                values.append(None)
                bad = True
        a, b, probability, status = values
        if a is not None and a == b:
            problems.append(Problem(NAME, line, "person_id_b", "is the same as person_id_a"))
            bad = True
        if a is not None and b is not None:
            pair = tuple(sorted((a, b)))
            first = first_line.setdefault(pair, line)
            if first != line:
                problems.append(
                    Problem(NAME, line, "person_id_a", f"repeats the pair of line {first}")
                )
                bad = True
            for column, external_id in (("person_id_a", a), ("person_id_b", b)):
                if external_id not in person_ids:
                    references.append((line, column, external_id))
        if not bad:
            parsed.rows.append((a, b, probability, status))
    wanted = sorted({external_id for _, _, external_id in references})
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        parsed.existing.update(
            Person.objects.filter(external_id__in=batch).values_list("external_id", "pk")
        )
    for line, column, external_id in references:
        if external_id not in parsed.existing:
            problems.append(
                Problem(
                    NAME,
                    line,
                    column,
                    f"refers to unknown person {shown(external_id)} (not in persons.csv or the "
                    "database)",
                )
            )
    return parsed


def load_links(parsed: ParsedLinks, person_pks: dict[str, int]) -> tuple[int, int]:
    """Write the checked links (inside the import's transaction); (rows, links created)."""
    ids = dict(parsed.existing)
    needed = [e for row in parsed.rows for e in row[:2] if e not in ids and e not in person_pks]
    ids.update(person_pks)
    if needed:
        ids.update(stored_ids(Person, sorted(set(needed))))
    now = timezone.now()
    wanted = {}
    for a, b, probability, status in parsed.rows:
        first, second = sorted((ids[a], ids[b]))
        wanted[(first, second)] = (probability, status)
    stored = {}
    pairs = sorted(wanted)
    for start in range(0, len(pairs), LOOKUP_BATCH):
        chunk = pairs[start : start + LOOKUP_BATCH]
        firsts = {a for a, _ in chunk}
        for link in IdentityLink.objects.filter(person_a_id__in=firsts):
            key = (link.person_a_id, link.person_b_id)
            if key in wanted:
                stored[key] = link
    new, changed = [], []
    for (a, b), (probability, status) in wanted.items():
        decided = status in DECIDED_STATUSES
        link = stored.get((a, b))
        if link is None:
            new.append(
                IdentityLink(
                    person_a_id=a,
                    person_b_id=b,
                    score=probability,
                    status=status,
                    source=LinkSource.IMPORT,
                    decided_at=now if decided else None,
                    updated_at=now,
                )
            )
            continue
        if link.status in DECIDED_STATUSES and not decided:
            continue  # a reviewer's decision here outweighs a machine's score from elsewhere
        if (link.score, link.status) == (probability, status):
            continue
        link.score, link.status, link.updated_at = probability, status, now
        if decided and link.decided_at is None:
            link.decided_at = now
        changed.append(link)
    IdentityLink.objects.bulk_create(new, batch_size=5_000)
    IdentityLink.objects.bulk_update(
        changed, ["score", "status", "updated_at", "decided_at"], batch_size=5_000
    )
    return len(parsed.rows), len(new)


def export_rows(person_external: dict[int, str]) -> list[list[str]]:
    """Every link as cells, ordered by the two external ids."""
    probability, status = BY_NAME["probability"], BY_NAME["status"]
    rows = []
    links = IdentityLink.objects.values_list("person_a_id", "person_b_id", "score", "status")
    for a, b, score, state in links.iterator(chunk_size=20_000):
        first, second = sorted((person_external[a], person_external[b]))
        rows.append([first, second, probability.format(score), status.format(state)])
    rows.sort()
    return rows
