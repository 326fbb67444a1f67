"""Which person records are one human: the clusters that identity links make.

`humans(ids)` is the one answer every count of people uses (persons served, frequent clients,
repeat crises): records tied by a link that nobody rejected, directly or through other records,
are one human, named by the smallest record id of the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from coresponse.people.models import IdentityLink, LinkStatus


def humans(person_ids: Iterable[int]) -> dict[int, int]:
    """Each of `person_ids` -> the id that stands for its human (the smallest record id among
    the given records it is linked to, directly or through other given records)."""
    ids = set(person_ids)
    parent = {pid: pid for pid in ids}

    def root(pid: int) -> int:
        while parent[pid] != pid:
            parent[pid] = parent[parent[pid]]
            pid = parent[pid]
        return pid

    links = IdentityLink.objects.exclude(status=LinkStatus.REJECTED)
    if len(ids) < 5000:  # a few people: their links only; many: one pass over every link
        links = links.filter(person_a__in=ids, person_b__in=ids)
    for a, b in links.values_list("person_a_id", "person_b_id").iterator(10_000):
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {pid: root(pid) for pid in ids}
