"""The lookup-time matcher: the same man as the police, the clinic and EMS recorded him."""

import random
from datetime import date

import pytest

from coresponse.interop.bundle import MemorySource, import_bundle
from coresponse.people import matching, services
from coresponse.people.linkage.comparisons import BLOCKING_RULES
from coresponse.people.linkage.model import Model, default_parameters
from coresponse.people.linkage.records import person_record, person_records, record
from coresponse.people.models import Person


@pytest.fixture
def smith(person):
    """Robert J. Smith at the police, Bob Smith (day and month swapped) at the clinic, R. Smyth
    without a birth date at EMS, and people who only look a little like him."""
    return {
        "pd": person("pd", "Robert J.", "Smith", date(1974, 3, 2), phone="(970) 555-0142",
                     address="1423 Elm St, Riverton, CO 80521", sex="male"),
        "bhc": person("bhc", "Bob", "Smith", date(1974, 2, 3), phone="970-555-0142",
                      address="1423 Elm Street, Riverton, CO 80521", sex="male"),
        "ems": person("ems", "R.", "Smyth", None, phone="9705550142"),
        "other": person("bhc", "Roberta", "Smithers", date(1990, 5, 17), sex="female"),
        "same_dob": person("pd", "Alice", "Nguyen", date(1974, 3, 2), sex="female"),
    }  # fmt: skip


def test_keys_are_kept_by_every_write(smith):
    bob = Person.objects.get(pk=smith["bhc"].pk)
    assert (bob.first_key, bob.last_key, bob.dob_key) == ("R163", "S530", "19740203")
    assert (bob.phone_key, bob.address_key) == ("9705550142", "1423 80521")
    services.update_person(bob, last_name="Smithson", phone="")
    bob.refresh_from_db()
    assert (bob.last_key, bob.phone_key) == ("S532", "")


def test_finds_him_through_nicknames_typos_and_a_swapped_birth_date(smith):
    matches = matching.find(first_name="Bobby", last_name="Smtih", dob=date(1974, 3, 2))
    found = [m.person.pk for m in matches]
    assert set(found[:2]) == {smith["pd"].pk, smith["bhc"].pk}
    best = matches[0]
    assert best.score > 0.9
    assert isinstance(best.why, tuple) and best.why
    assert smith["other"].pk not in found[:2]


def test_swapped_day_and_month_is_named_in_the_reasons(smith):
    (best, *_) = matching.find(first_name="Robert", last_name="Smith", dob="1974-02-03",
                               phone="970 555 0142")  # fmt: skip
    assert best.person.pk in (smith["pd"].pk, smith["bhc"].pk)
    pd = next(m for m in matching.find(first_name="Robert", last_name="Smith", dob="1974-02-03")
              if m.person.pk == smith["pd"].pk)  # fmt: skip
    assert "day and month swapped" in pd.why


def test_first_and_last_name_the_wrong_way_round(smith):
    (best, *_) = matching.find(first_name="Smith", last_name="Robert", dob="1974-03-02")
    assert best.person.pk in (smith["pd"].pk, smith["bhc"].pk)
    assert "first and last names swapped" in best.why


def test_missing_fields_are_no_evidence(smith):
    by_phone = matching.find(phone="(970) 555-0142", limit=5)
    assert {smith["pd"].pk, smith["bhc"].pk, smith["ems"].pk} == {m.person.pk for m in by_phone}
    assert matching.find() == []
    assert matching.find(first_name="Nobody", last_name="Atall", dob="2001-01-01") == []


def test_limit_exclude_and_minimum_score(smith):
    assert len(matching.find(first_name="Robert", last_name="Smith", limit=1)) == 1
    found = matching.find(first_name="Robert", last_name="Smith", exclude=[smith["pd"].pk])
    assert smith["pd"].pk not in {m.person.pk for m in found}
    weak = matching.find(dob="1974-03-02", min_score=0.0)
    assert smith["same_dob"].pk in {m.person.pk for m in weak}
    assert all(m.score >= 0.5 for m in matching.find(dob="1974-03-02", min_score=0.5))


def test_a_lookup_is_a_handful_of_indexed_queries(smith, django_assert_max_num_queries):
    matching.current_model(refresh=True)
    wanted = matching.lookup_keys(
        "Bob", "Smith", "1974-03-02", "9705550142", "1423 Elm St, X, CO 80521"
    )
    assert len(matching.key_queries(wanted)) == 7  # one per blocking rule the fields allow
    with django_assert_max_num_queries(6):  # and nothing else (the model is cached)
        matching.find(first_name="Bob", last_name="Smith", dob="1974-03-02",
                      phone="9705550142", address="1423 Elm St, Riverton, CO 80521")  # fmt: skip


def test_a_bundle_import_writes_the_keys(agencies):
    import_bundle(
        MemorySource(
            {
                "persons.csv": [
                    {"person_id": "x-1", "agency_id": "ems", "first_name": "Katie",
                     "last_name": "O'Brien", "dob": "1988-11-04", "sex": "female",
                     "race_ethnicity": "", "address": "", "phone": "(970) 555-7777",
                     "veteran": ""},
                ]
            }
        )
    )  # fmt: skip
    katie = Person.objects.get(external_id="x-1")
    assert katie.first_key == "C365"  # Katie -> Catherine
    assert (katie.last_key, katie.dob_key, katie.phone_key) == ("O165", "19880411", "9705557777")
    (match,) = matching.find(first_name="Catherine", last_name="OBrien", dob="1988-04-11")
    assert match.person == katie


def test_a_saved_record_finds_every_record_the_batch_would_compare(person):
    """Small pools of names, dates, phones and addresses, so that every blocking rule pairs
    records: each record's lookup keys find every record a rule pairs it with."""
    rng = random.Random(11)
    firsts = ["Robert", "Bob", "Roberta", "Maria", "Mary", "Ana", "Li", ""]
    lasts = ["Smith", "Smyth", "Lucero", "Nguyen", "Garcia", "Robert", ""]
    streets = ["Elm St", "Elm Street", "Oak Ave", "Pitkin Street Apt 4"]
    for _ in range(300):
        born = date(rng.choice([1974, 1975, 1990]), rng.choice([2, 3, 6]), rng.choice([1, 2, 3]))
        house = rng.choice(["12", "1423", ""])
        postcode = rng.choice(["80521", "80524", ""])
        address = rng.choice(["", f"{house} {rng.choice(streets)}, Riverton, CO {postcode}"])
        person(rng.choice(["pd", "bhc", "ems"]), rng.choice(firsts), rng.choice(lasts),
               rng.choice([born, None]), phone=rng.choice(["", "970-555-0142", "970-555-0199"]),
               address=address.strip(", "))  # fmt: skip
    records = person_records(Person.objects.all())
    # Pairs each rule makes, the stored record left and the saved one right. The second
    # swapped-names rule is the first with the two records' places exchanged: the record whose
    # names are the wrong way round is the one that finds the other.
    rules = list(BLOCKING_RULES)  # (a Person has no identifier: those rules pair none)
    rules.remove(("swap_first_key=first_key", "swap_last_key=last_key"))
    paired = 0
    for saved in records:
        found = {p.pk for p in matching.candidates(matching.record_keys(saved), per_key=10_000)}
        for stored in records:
            if stored is saved:
                continue
            for rule in rules:
                pairs = [part.partition("=") for part in rule]
                values = [(stored[left], saved[right or left]) for left, _, right in pairs]
                if all(a is not None and a == b for a, b in values):
                    assert stored["unique_id"] in found, (rule, stored, saved)
                    paired += 1
                    break
    assert paired > 2_000  # the pools are small enough for every rule to pair records


def test_records_alike_in_what_a_comparison_reads_are_compared_once():
    """find() works out each comparison once per distinct value of its `inputs` among the
    candidates: the levels must be those of comparing each record in full."""
    rng = random.Random(3)
    values = {
        "first_name": ["Robert", "Bob", "R.", "Smith", "Maria", ""],
        "last_name": ["Smith", "Smyth", "Robert", "Lucero-Diaz", ""],
        "dob": [date(1974, 3, 2), date(1974, 2, 3), date(1975, 3, 2), None],
        "sex": ["male", "female", ""],
        "phone": ["970-555-0142", "303-555-0142", "970-555-0124", ""],
        "address": ["1423 Elm St, Riverton, CO 80521", "1432 Elm Street, Riverton 80524",
                    "12 Oak Ave, Cedar, CO 80521", "Unhoused", ""],
    }  # fmt: skip
    model = Model(default_parameters())
    names = [f.attname for f in Person._meta.concrete_fields]
    for _ in range(200):
        given = {k: rng.choice(v) for k, v in values.items() if k != "sex" and rng.random() < 0.6}
        query = record(0, "", **given)
        compare = matching._Comparer(model, query)
        for _ in range(30):
            stored = {"id": 1, "agency_id": 1, **{k: rng.choice(v) for k, v in values.items()}}
            row = [stored.get(name) for name in names]
            expected = model.levels(query, person_record(stored))
            assert compare.levels(row) == expected, (given, stored)
            assert compare.weight(row) == pytest.approx(model.scored(expected).match_weight)
