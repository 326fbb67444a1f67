"""Which person records are one human: the clusters that identity links make.

`humans(ids)` is the one answer every count of people uses (persons served, frequent clients,
repeat crises, the accounting of disclosures): records tied by a link that is automatic or
confirmed (not waiting for review, not rejected), directly or through other records, are one
human, named by the smallest record id of its cluster.

A rejection is also a constraint: two records a reviewer said are different people never end up
in one cluster, even when other links would chain them together. Links are taken confirmed
first, then automatic ones from the most to the least probable, and a link that would join a
rejected pair is left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from coresponse import sql
from coresponse.people.models import LINKING_STATUSES, IdentityLink, LinkStatus

SMALL = 5_000  # fewer records than this: follow their links; more: read every link once
BATCH = 900


def humans(person_ids: Iterable[int]) -> dict[int, int]:
    """Each of `person_ids` -> the id that stands for its human (the smallest record id of the
    cluster its links make, across every record)."""
    ids = set(person_ids)
    if not ids:
        return {}
    links, rejected = _component_links(ids) if len(ids) < SMALL else _all_links()
    root = _roots(_clusters(links, rejected))
    return {pid: root(pid) for pid in ids}


def cluster_of(person_id: int) -> set[int]:
    """Every record of the human `person_id` is one of (itself included)."""
    links, rejected = _component_links({person_id})
    root = _roots(_clusters(links, rejected))
    members = {person_id} | {p for link in links for p in link[:2]}
    mine = root(person_id)
    return {pid for pid in members if root(pid) == mine}


def _roots(parent: dict[int, int]):
    def root(pid: int) -> int:
        while parent.get(pid, pid) != pid:
            pid = parent[pid]
        return pid

    return root


_FIELDS = ("person_a_id", "person_b_id", "status", "score")


def _component_links(ids: set[int]):
    """The linking and rejected links of every record reachable from `ids` through linking
    links: one recursive query per BATCH of starting records."""
    links, rejected = {}, set()
    batch = sorted(ids)
    with sql.cursor() as cursor:
        for start in range(0, len(batch), BATCH):
            chunk = batch[start : start + BATCH]
            cursor.execute(_COMPONENT_SQL.format(seeds=", ".join(["(%s)"] * len(chunk))), chunk)
            for a, b, status, score in cursor.fetchall():
                if status == LinkStatus.REJECTED:
                    rejected.add((a, b))
                else:
                    links[(a, b)] = (a, b, status, score)
    return list(links.values()), rejected


# Records reached from the seeds through linking links (UNION drops what was reached before, so
# it ends on cycles), then every linking or rejected link touching one of them (a link between
# two of them comes twice: the caller keeps it once).
_TABLE = IdentityLink._meta.db_table
_LINKING = ", ".join(f"'{status}'" for status in LINKING_STATUSES)
_COMPONENT_SQL = f"""
WITH RECURSIVE seed(id) AS (VALUES {{seeds}}),
reach(id) AS (
    SELECT CAST(id AS BIGINT) FROM seed
    UNION
    SELECT CASE WHEN link.person_a_id = reach.id THEN link.person_b_id ELSE link.person_a_id END
    FROM {_TABLE} AS link
    JOIN reach ON link.person_a_id = reach.id OR link.person_b_id = reach.id
    WHERE link.status IN ({_LINKING})
)
SELECT link.person_a_id, link.person_b_id, link.status, link.score
FROM {_TABLE} AS link
JOIN reach ON link.person_a_id = reach.id OR link.person_b_id = reach.id
WHERE link.status IN ({_LINKING}, '{LinkStatus.REJECTED}')
"""


def _all_links():
    links, rejected = [], set()
    rows = IdentityLink.objects.exclude(status=LinkStatus.REVIEW).values_list(*_FIELDS)
    for a, b, status, score in rows.iterator(chunk_size=20_000):
        if status == LinkStatus.REJECTED:
            rejected.add((a, b))
        else:
            links.append((a, b, status, score))
    return links, rejected


def _clusters(links, rejected: set[tuple[int, int]]) -> dict[int, int]:
    """Union-find over the links (parent pointers; a root is named by its smallest id)."""
    parent: dict[int, int] = {}

    def root(pid: int) -> int:
        while parent.get(pid, pid) != pid:
            parent[pid] = parent.get(parent[pid], parent[pid])
            pid = parent[pid]
        return pid

    if not rejected:  # the usual case: no constraint, order does not matter
        for a, b, _, _ in links:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return parent
    # With rejections: strongest links first; a join that would put a rejected pair together
    # is skipped. `apart[root]` holds the records its cluster may never contain.
    apart: dict[int, set[int]] = {}
    for a, b in rejected:
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    members: dict[int, set[int]] = {}
    order = sorted(links, key=lambda link: (link[2] != LinkStatus.CONFIRMED, -link[3], link[:2]))
    for a, b, _, _ in order:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group_a, group_b = members.get(ra, {ra}), members.get(rb, {rb})
        if apart.get(ra, set()) & group_b or apart.get(rb, set()) & group_a:
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        members[keep] = group_a | group_b
        members.pop(gone, None)
        joined = apart.pop(ra, set()) | apart.pop(rb, set())
        if joined:
            apart[keep] = joined
    return parent
