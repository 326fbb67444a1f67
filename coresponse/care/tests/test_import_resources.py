"""`coresponse import-resources FILE.csv`: every bad row as FILE:LINE:COLUMN: reason, nothing
written on any problem; a good file imports, and importing it again updates in place."""

import pytest
from django.core.management import CommandError, call_command

from coresponse.care.models import Resource
from coresponse.privacy.models import AuditEvent

HEADER = (
    "resource_id,name,service_type,eligibility,eligibility_tags,min_age,max_age,opening_hours,"
    "capacity,available_today,address,latitude,longitude,phone,provider_agency_id\n"
)
GOOD = HEADER + (
    "csu-1,Pine CSU,crisis_stabilization,Adults 18+,adults;walk_in,18,,24/7,16,3,"
    '"1 Main St, Riverton",40.56,-105.05,(970) 555-0100,\n'
    "food-1,Riverton Food Bank,food,Anyone,no_id,,,Tue-Sat 09:00-16:00,,,,,,(970) 555-0101,"
    "cedar-peers\n"
)


def write(tmp_path, text, name="directory.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_a_good_file_imports_and_again_updates_in_place(world, tmp_path, capsys):
    before = Resource.objects.count()
    path = write(tmp_path, GOOD)
    call_command("import-resources", path)
    assert "2 new, 0 updated" in capsys.readouterr().out
    csu = Resource.objects.get(external_id="csu-1")
    assert csu.open_24_7 and csu.opening_hours == [] and csu.hours == "24/7"
    assert csu.eligibility_tags == ["adults", "walk_in"] and csu.min_age == 18
    assert csu.available_today == 3 and csu.available_updated_at is not None
    food = Resource.objects.get(external_id="food-1")
    assert food.opening_hours == [{"days": [1, 2, 3, 4, 5], "open": "09:00", "close": "16:00"}]
    assert food.provider_agency == world.agencies["cedar-peers"] and food.latitude is None
    write(tmp_path, GOOD.replace("Pine CSU", "Pine Crisis Unit"))
    call_command("import-resources", path)
    assert "0 new, 2 updated" in capsys.readouterr().out
    assert Resource.objects.count() == before + 2
    assert Resource.objects.get(external_id="csu-1").name == "Pine Crisis Unit"
    assert AuditEvent.objects.filter(action="import", object_type="resource").count() == 2


@pytest.mark.django_db
def test_every_bad_row_is_named_and_nothing_is_written(world, tmp_path, capsys):
    before = Resource.objects.count()
    bad = HEADER + (
        "csu-1,Pine CSU,crisis_unit,,adults;kids,18,12,Mon-Fri 8am-6pm,10,20,,40.5,,,nowhere\n"
        "food-1,,food,,,,,,,,,,,,\n"
        "csu-1,Again,food,,,,,,,,,,,,\n"
    )
    path = write(tmp_path, bad)
    with pytest.raises(CommandError) as failed:
        call_command("import-resources", path)
    assert "nothing was imported" in str(failed.value)
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:2:service_type: 'crisis_unit' is not one of:" in err[0]
    expected = [
        f"{path}:2:eligibility_tags: 'kids' not one of:",
        f"{path}:3:name: is required",
        f"{path}:4:resource_id: 'csu-1' is also on line 2",
    ]
    for line in expected:
        assert any(e.startswith(line) for e in err), line
    assert Resource.objects.count() == before


@pytest.mark.django_db
def test_rows_that_parse_are_checked_together(world, tmp_path, capsys):
    bad = HEADER + (
        "a,A,shelter,,,18,12,Mon-Fri 8am-6pm,10,20,,40.5,,,nowhere\nb,B,shelter,,,,,,,,,,,,\n"
    )
    path = write(tmp_path, bad)
    with pytest.raises(CommandError):
        call_command("import-resources", path)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:2:opening_hours: 'Mon-Fri 8am-6pm' is not like 'Mon-Fri 08:00-18:00'",
        f"{path}:2:longitude: give both latitude and longitude",
        f"{path}:2:max_age: is 12, below min_age 18",
        f"{path}:2:available_today: is 20, more than the capacity 10",
        f"{path}:2:provider_agency_id: 'nowhere' is not an agency in Coresponse",
    ]
    assert not Resource.objects.filter(external_id__in=["a", "b"]).exists()


@pytest.mark.django_db
def test_the_file_itself_must_be_readable(world, tmp_path, capsys):
    path = write(tmp_path, "resource_id,name,colour\nx,X,red\n")
    with pytest.raises(CommandError):
        call_command("import-resources", path)
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:1:colour: is not a column of the directory" in err
    assert f"{path}:1:service_type: is missing from the header" in err
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "x,Caf\xe9,food,,,,,,,,,,,,\n".encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("import-resources", str(latin))
    assert "is not UTF-8" in capsys.readouterr().err
    with pytest.raises(CommandError) as missing:
        call_command("import-resources", str(tmp_path / "none.csv"))
    assert "no such file" in str(missing.value)
