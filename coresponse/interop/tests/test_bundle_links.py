"""identity_links.csv in the exchange bundle: checked like every file, written with it, exported
and imported again unchanged; a reviewer's decision here outweighs a score from elsewhere."""

import pytest

from coresponse.interop.bundle import BundleError, MemorySource, export_bundle, import_bundle
from coresponse.interop.bundle.reader import DirectorySource
from coresponse.people import services
from coresponse.people.models import IdentityLink, LinkSource, LinkStatus


def person(pid, agency, first, last="Doe"):
    return {"person_id": pid, "agency_id": agency, "first_name": first, "last_name": last,
            "dob": "1980-01-02", "sex": "", "race_ethnicity": "", "address": "", "phone": "",
            "veteran": ""}  # fmt: skip


BASE = {
    "agencies.csv": [
        {"agency_id": "pd", "name": "Police", "kind": "law_enforcement"},
        {"agency_id": "bhc", "name": "Clinic", "kind": "behavioral_health"},
    ],
    "persons.csv": [
        person("pd-1", "pd", "Robert"), person("bhc-1", "bhc", "Bob"),
        person("bhc-2", "bhc", "Robbie"), person("pd-2", "pd", "Ann"),
    ],
}  # fmt: skip


def link(a, b, probability="0.99", status="auto"):
    return {"person_id_a": a, "person_id_b": b, "probability": probability, "status": status}


@pytest.mark.django_db
def test_links_are_imported_with_the_persons():
    bundle = {**BASE, "identity_links.csv": [
        link("pd-1", "bhc-1"), link("bhc-2", "bhc-1", "0.7", "review"),
        link("pd-2", "pd-1", "0.1", "rejected"),
    ]}  # fmt: skip
    report = import_bundle(MemorySource(bundle))
    assert (report.rows["identity_links.csv"], report.created["identity_links.csv"]) == (3, 3)
    links = {
        (x.person_a.external_id, x.person_b.external_id): x
        for x in IdentityLink.objects.select_related("person_a", "person_b")
    }
    pair = links[("pd-1", "bhc-1")] if ("pd-1", "bhc-1") in links else links[("bhc-1", "pd-1")]
    assert (pair.status, pair.score, pair.source) == ("auto", 0.99, LinkSource.IMPORT)
    rejected = next(x for x in links.values() if x.status == "rejected")
    assert rejected.decided_at is not None
    assert report.rows["identity_links.csv"] == 3
    again = import_bundle(MemorySource(bundle))  # idempotent
    assert again.created["identity_links.csv"] == 0 and IdentityLink.objects.count() == 3


@pytest.mark.django_db
def test_every_problem_is_reported_and_nothing_is_written():
    bundle = {**BASE, "identity_links.csv": [
        link("pd-1", "bhc-1"),
        link("pd-1", "nobody"),
        link("bhc-1", "pd-1"),
        link("pd-2", "pd-2"),
        link("pd-2", "bhc-2", "1.5"),
        link("pd-2", "bhc-1", "0.9", "maybe"),
    ]}  # fmt: skip
    with pytest.raises(BundleError) as raised:
        import_bundle(MemorySource(bundle))
    problems = {str(p) for p in raised.value.problems}
    assert problems == {
        "identity_links.csv:3:person_id_b: refers to unknown person 'nobody' (not in "
        "persons.csv or the database)",
        "identity_links.csv:4:person_id_a: repeats the pair of line 2",
        "identity_links.csv:5:person_id_b: is the same as person_id_a",
        "identity_links.csv:6:probability: is 1.5; must be from 0 to 1",
        "identity_links.csv:7:status: 'maybe' is not one of: auto, review, confirmed, rejected",
    }
    assert not IdentityLink.objects.exists()
    from coresponse.people.models import Person

    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_missing_column_is_named():
    bundle = {**BASE, "identity_links.csv": [{"person_id_a": "pd-1", "person_id_b": "bhc-1"}]}
    with pytest.raises(BundleError) as raised:
        import_bundle(MemorySource(bundle))
    assert {str(p) for p in raised.value.problems} == {
        "identity_links.csv:1:probability: column is missing from the header",
        "identity_links.csv:1:status: column is missing from the header",
    }


@pytest.mark.django_db
def test_a_reviewers_decision_outweighs_an_imported_score():
    import_bundle(MemorySource({**BASE, "identity_links.csv": [link("pd-1", "bhc-1")]}))
    services.decide(IdentityLink.objects.get(), LinkStatus.REJECTED, None)
    import_bundle(MemorySource({**BASE, "identity_links.csv": [link("pd-1", "bhc-1", "0.999")]}))
    assert IdentityLink.objects.get().status == "rejected"
    decided = [link("pd-1", "bhc-1", "1.0", "confirmed")]
    import_bundle(MemorySource({**BASE, "identity_links.csv": decided}))
    assert IdentityLink.objects.get().status == "confirmed"


@pytest.mark.django_db
def test_export_and_import_round_trip(tmp_path):
    bundle = {**BASE, "identity_links.csv": [
        link("pd-1", "bhc-1", "0.987654"), link("bhc-2", "bhc-1", "0.7", "review"),
    ]}  # fmt: skip
    import_bundle(MemorySource(bundle))
    counts = export_bundle(tmp_path)
    assert counts["identity_links.csv"] == 2
    text = (tmp_path / "identity_links.csv").read_text()
    assert text.splitlines() == [
        "person_id_a,person_id_b,probability,status",
        "bhc-1,bhc-2,0.7,review",
        "bhc-1,pd-1,0.987654,auto",
    ]
    IdentityLink.objects.all().delete()
    report = import_bundle(DirectorySource(tmp_path))
    assert report.created["identity_links.csv"] == 2
    assert sorted(IdentityLink.objects.values_list("score", flat=True)) == [0.7, 0.987654]
