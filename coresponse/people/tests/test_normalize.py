"""What counts as the same name, birth date, phone and address."""

from datetime import date

from coresponse.people import normalize


def test_names_are_cleaned_the_way_records_differ():
    assert normalize.clean("José  O'Brien-Smith") == "jose obrien smith"
    assert normalize.first_name("Mary Ann") == "mary"
    assert normalize.first_name("R.") == "r"
    assert normalize.last_name("Van Dykke") == "vandykke"
    assert normalize.last_name_part("Martínez-Lucero") == "martinez"
    assert normalize.first_name("") == normalize.last_name(None) == ""


def test_nicknames_resolve_both_ways():
    assert normalize.formal_names("bob") == ("bob", "robert")
    assert normalize.canonical_first("bob") == "robert"
    assert normalize.canonical_first("robert") == "robert"
    assert normalize.canonical_first("zelphia") == "zelphia"  # unknown: itself
    # Sam stands for two formal names; a lookup covers both.
    assert {"samuel", "samantha"} <= set(normalize.formal_names("sam"))
    keys = normalize.first_keys_for_lookup("Sam")
    assert normalize.first_key("Samuel") in keys and normalize.first_key("Samantha") in keys
    # A lookup by the formal name finds records kept under a nickname, and back.
    assert normalize.first_key("Bob") in normalize.first_keys_for_lookup("Robert")
    assert normalize.first_key("Robert") in normalize.first_keys_for_lookup("Bobby")


def test_phonetic_keys_survive_typing_slips():
    assert normalize.last_key("Smith") == normalize.last_key("Smyth") == normalize.last_key("SMITH")
    assert normalize.first_key("Robret") == normalize.first_key("Robert")
    assert normalize.last_key("") == ""


def test_birth_dates_with_day_and_month_swapped_share_a_key():
    assert normalize.dob_key(date(1974, 3, 2)) == normalize.dob_key(date(1974, 2, 3)) == "19740203"
    assert normalize.dob_key("1974-03-02") == "19740203"
    assert normalize.dob_swapped(date(1974, 3, 2)) == "1974-02-03"
    assert normalize.dob_swapped(date(1974, 3, 25)) == ""  # no 25th month
    assert normalize.dob_parts("19740230") == (1974, 2, 30)  # a slip, kept for comparison
    assert normalize.dob_key(None) == normalize.dob_text("") == ""


def test_phones_are_their_digits():
    assert normalize.phone_digits("(970) 555-0142") == "9705550142"
    assert normalize.phone_digits("1-970-555-0142") == "9705550142"
    assert normalize.phone_digits("555-0142") == "5550142"
    assert normalize.phone_digits("911") == ""


def test_addresses_split_into_comparable_parts():
    parts = normalize.address("4653 Pitkin Street Apt 13C, Riverton, CO 80521")
    assert parts == normalize.Address("4653", "pitkin st", "riverton", "80521")
    assert normalize.address("4653 pitkin st, Riverton, CO 80521") == parts
    assert normalize.address("1725 County Road 54G, Cedar Falls, CO 80535").street == "co rd 54g"
    assert normalize.address("Unhoused") == normalize.Address()
    assert normalize.address_key(parts) == "4653 80521"


def test_person_keys_are_in_key_field_order():
    keys = normalize.person_keys(
        "Bob", "Smyth", date(1974, 2, 3), "970-555-0142", "12 Elm St, X, CO 80521"
    )
    assert dict(zip(normalize.KEY_FIELDS, keys, strict=True)) == {
        "first_key": "R163",
        "last_key": "S530",
        "dob_key": "19740203",
        "phone_key": "9705550142",
        "address_key": "12 80521",
        "street_key": "elm st",
        "house_key": "12",
        "postcode_key": "80521",
    }
