"""humans(): which records are one human."""

import pytest
from django.utils import timezone

from coresponse.people.identity import cluster_of, humans
from coresponse.people.models import IdentityLink, LinkStatus


def link(a, b, status=LinkStatus.AUTO, score=0.99):
    a, b = sorted((a.pk, b.pk))
    decided = timezone.now() if status in (LinkStatus.CONFIRMED, LinkStatus.REJECTED) else None
    return IdentityLink.objects.create(
        person_a_id=a, person_b_id=b, score=score, status=status, decided_at=decided
    )


@pytest.fixture
def four(person):
    return [person("pd", f"P{i}", "Doe") for i in range(4)]


def test_linked_records_are_one_human_transitively(four):
    a, b, c, d = four
    link(a, b)
    link(b, c, LinkStatus.CONFIRMED)
    result = humans([a.pk, c.pk, d.pk])
    assert result[a.pk] == result[c.pk] == a.pk  # through b, which is not asked about
    assert result[d.pk] == d.pk
    assert cluster_of(c.pk) == {a.pk, b.pk, c.pk}


def test_pairs_waiting_for_review_or_rejected_do_not_link(four):
    a, b, c, _ = four
    link(a, b, LinkStatus.REVIEW, 0.7)
    link(b, c, LinkStatus.REJECTED, 0.99)
    assert len(set(humans([a.pk, b.pk, c.pk]).values())) == 3


def test_a_rejection_keeps_two_records_apart_through_other_links(four):
    a, b, c, _ = four
    link(a, b, LinkStatus.REJECTED)
    link(a, c, score=0.99)
    link(b, c, score=0.97)  # the weaker link is the one left out
    result = humans([a.pk, b.pk, c.pk])
    assert result[a.pk] == result[c.pk] != result[b.pk]
    assert cluster_of(b.pk) == {b.pk}


def test_many_records_take_the_one_pass_path(four, monkeypatch):
    from coresponse.people import identity

    a, b, c, d = four
    link(a, b)
    link(c, d, LinkStatus.REJECTED)
    monkeypatch.setattr(identity, "SMALL", 2)
    result = humans([a.pk, b.pk, c.pk, d.pk])
    assert result == {a.pk: a.pk, b.pk: a.pk, c.pk: c.pk, d.pk: d.pk}
    assert humans([]) == {}
