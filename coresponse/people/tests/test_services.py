"""Writing links: thresholds, and people's decisions that no later run changes."""

import pytest

from coresponse.people import services
from coresponse.people.identity import humans
from coresponse.people.models import IdentityLink, LinkSource, LinkStatus


def write(found, **options):
    return services.write_links(
        [(a.pk, b.pk, p, [["dob", "same date of birth", 12.7]]) for a, b, p in found],
        None,
        auto_threshold=options.pop("auto", 0.95),
        review_threshold=options.pop("review", 0.5),
        **options,
    )


def status(a, b):
    a, b = sorted((a.pk, b.pk))
    link = IdentityLink.objects.filter(person_a_id=a, person_b_id=b).first()
    return link.status if link else None


@pytest.fixture
def five(person):
    agencies = ["pd", "bhc", "ems", "pd", "bhc"]
    return [person(agency, f"P{i}", "Doe") for i, agency in enumerate(agencies)]


def test_thresholds_decide_auto_review_or_nothing(five):
    a, b, c, d, _ = five
    written = write([(a, b, 0.99), (b, c, 0.7), (c, d, 0.2), (d, d, 1.0)])
    assert written.created == {"auto": 1, "review": 1}
    assert (status(a, b), status(b, c), status(c, d)) == ("auto", "review", None)
    link = IdentityLink.objects.get(status="auto")
    assert link.person_a_id < link.person_b_id and link.weights[0][1] == "same date of birth"


def test_later_runs_update_remove_and_keep_decisions(five):
    a, b, c, d, e = five
    write([(a, b, 0.99), (b, c, 0.7), (c, d, 0.7), (d, e, 0.7)])
    services.decide(IdentityLink.objects.get(person_a=b, person_b=c), LinkStatus.CONFIRMED, None)
    services.decide(IdentityLink.objects.get(person_a=c, person_b=d), LinkStatus.REJECTED, None)
    written = write([(a, b, 0.8), (b, c, 0.1), (c, d, 0.999)])  # d~e not found again
    assert (status(a, b), status(b, c), status(c, d), status(d, e)) == (
        "review", "confirmed", "rejected", None,
    )  # fmt: skip
    assert (written.updated, written.removed, written.kept_decisions) == (1, 1, 1)
    rejected = IdentityLink.objects.get(person_a=c, person_b=d)
    assert rejected.decided_at is not None


def test_a_scoped_write_only_touches_links_of_its_records(five):
    a, b, c, d, _ = five
    write([(a, b, 0.99), (c, d, 0.99)])
    write([(a, c, 0.99)], scope={a.pk}, source=LinkSource.INCREMENTAL)
    assert (status(a, b), status(a, c), status(c, d)) == (None, "auto", "auto")
    write([], scope={c.pk, d.pk, b.pk}, within=True)
    assert (status(a, c), status(c, d)) == ("auto", None)


def test_split_rejects_every_link_between_the_two_groups(five):
    a, b, c, d, _ = five
    write([(a, b, 0.99), (b, c, 0.99), (a, c, 0.97), (c, d, 0.99)])
    assert len(set(humans([a.pk, b.pk, c.pk, d.pk]).values())) == 1
    changed = services.split({a.pk, b.pk, c.pk, d.pk}, {c.pk, d.pk}, None)
    assert {(x.person_a_id, x.person_b_id) for x in changed} == {(b.pk, c.pk), (a.pk, c.pk)}
    result = humans([a.pk, b.pk, c.pk, d.pk])
    assert result[a.pk] == result[b.pk] != result[c.pk] == result[d.pk]
    # A later run finding the same pairs again does not re-join them.
    write([(a, b, 0.99), (b, c, 0.99), (a, c, 0.97), (c, d, 0.99), (b, d, 0.99)])
    result = humans([a.pk, b.pk, c.pk, d.pk])
    assert result[a.pk] != result[c.pk]
    with pytest.raises(services.DecisionError):
        services.split({a.pk, b.pk}, {a.pk, b.pk}, None)


def test_join_confirms_two_records_by_hand(five):
    a, _, _, _, e = five
    link = services.join(e, a, None)
    assert (link.status, link.source, link.score) == ("confirmed", "reviewer", 1.0)
    assert humans([a.pk, e.pk]) == {a.pk: a.pk, e.pk: a.pk}
    with pytest.raises(services.DecisionError):
        services.join(a, a, None)
    with pytest.raises(services.DecisionError):
        services.decide(link, LinkStatus.AUTO, None)


def test_refresh_keys_repairs_stale_keys(five):
    a = five[0]
    type(a).objects.filter(pk=a.pk).update(first_key="", dob_key="x")
    assert services.refresh_keys() == 1
    assert services.refresh_keys([a.pk]) == 0


def test_a_record_made_here_gets_an_id_and_bad_values_are_refused(agencies):
    from django.core.exceptions import ValidationError

    made = services.create_person(agency=agencies["ems"], first_name="Ann", last_name="Lee")
    assert made.external_id.startswith("ems-") and made.last_key == "L000"
    with pytest.raises(ValidationError):
        services.create_person(agency=agencies["ems"], first_name="Ann", sex="sometimes")
