"""`coresponse link`: batch linkage of the seed's people, written as links, audited; reviewers'
decisions kept by every later run."""

from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command

from coresponse.interop.bundle import MemorySource, import_bundle
from coresponse.interop.synthetic import generate
from coresponse.people import services
from coresponse.people.linkage.datasets import pairs_of_clusters, scores
from coresponse.people.models import IdentityLink, LinkModel, LinkStatus, Person
from coresponse.privacy.models import AuditEvent


@pytest.fixture(scope="module")
def county():
    return generate(seed=7, scale=0.08)


@pytest.fixture
def people(db, county, settings):
    settings.LINKAGE_U_PAIRS = 1.5e5
    import_bundle(MemorySource({k: county.files[k] for k in ("agencies.csv", "persons.csv")}))
    ids = dict(Person.objects.values_list("external_id", "pk"))
    clusters = defaultdict(list)
    for row in county.identity_truth:
        clusters[row["human_id"]].append(ids[row["person_id"]])
    return pairs_of_clusters(clusters.values())


def linked() -> set[tuple[int, int]]:
    return set(
        IdentityLink.objects.filter(status=LinkStatus.AUTO).values_list("person_a", "person_b")
    )


def test_links_the_seed_people_across_agencies(people, capsys):
    call_command("link")
    out = capsys.readouterr().out
    assert "Linked: model v1:" in out
    result = scores(linked(), people)
    assert result["precision"] >= 0.98 and result["recall"] >= 0.9, result
    statuses = Counter(IdentityLink.objects.values_list("status", flat=True))
    assert statuses["review"] > 0 and set(statuses) <= {"auto", "review"}
    model = LinkModel.objects.get()
    assert model.backend == "duckdb" and model.records == Person.objects.count()
    assert model.summary["last_run"]["created"]["auto"] == statuses["auto"]
    event = AuditEvent.objects.filter(object_type="identity_links").get()
    assert event.object_id == "model-v1" and "automatic" in event.detail


def test_later_runs_keep_what_reviewers_decided(people):
    call_command("link")
    confirmed = IdentityLink.objects.filter(status=LinkStatus.REVIEW).first()
    rejected = IdentityLink.objects.filter(status=LinkStatus.AUTO).first()
    services.decide(confirmed, LinkStatus.CONFIRMED, None)
    services.decide(rejected, LinkStatus.REJECTED, None)
    call_command("link")  # a new model version, trained again
    call_command("link", "--no-train", "--threshold", "0.5")  # everything above 0.5 automatic
    confirmed.refresh_from_db()
    rejected.refresh_from_db()
    assert (confirmed.status, rejected.status) == ("confirmed", "rejected")
    assert LinkModel.objects.count() == 2
    assert not IdentityLink.objects.filter(status=LinkStatus.REVIEW).exists()


def test_agencies_limit_the_run(people):
    call_command("link", "--agencies", "cedar-bhc,cedar-ems")
    agencies = set(
        IdentityLink.objects.values_list(
            "person_a__agency__external_id", "person_b__agency__external_id"
        )
    )
    assert agencies and {a for pair in agencies for a in pair} <= {"cedar-bhc", "cedar-ems"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agencies", "nowhere"], "unknown agency nowhere"),
        (["--threshold", "1.5"], "not a probability"),
        (["--threshold", "high"], "not a probability"),
        (["--threshold", "0.6", "--review-threshold", "0.9"], "must not be above"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("link", *args)
    assert not LinkModel.objects.exists()
