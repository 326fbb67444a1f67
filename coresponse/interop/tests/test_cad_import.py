"""Real cities' CAD exports, made from the seed: each shipped mapping imports its city's file as
the seed made the calls; re-importing changes nothing; frequent callers are flagged as intake
would have; two cities never collide."""

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line

from coresponse.agencies.models import Program
from coresponse.bulk import stored_ids
from coresponse.dispatch.models import Call, TriageResult
from coresponse.dispatch.services.intake import is_frequent_caller
from coresponse.interop.cad import check, import_calls, load_mapping, loader
from coresponse.interop.synthetic import UNTIL, cad
from coresponse.interop.synthetic.cad import INTERNAL_COLUMNS, write_export
from coresponse.interop.synthetic.county import County
from coresponse.privacy.models import AuditEvent

MAPPINGS = Path(__file__).resolve().parents[3] / "docs" / "cad-mappings"
CITIES = ("seattle", "new-orleans", "detroit")
SCALE = 0.02  # about 300 calls


def mapping_for(city: str, internal: bool = True):
    mapping = load_mapping(MAPPINGS / f"{city}.toml")
    return mapping.with_columns(**INTERNAL_COLUMNS) if internal else mapping


def seed_calls(seed: int, scale: float) -> list[dict]:
    sink = cad._CallsOnly()
    County(seed, scale, UNTIL).run(sink)
    return sink.calls


# How each city's export carries our sources (its table reads them back).
SOURCES = {
    "seattle": {"988": "non_emergency", "outreach": "officer_initiated"},
    "new-orleans": {"988": "911", "non_emergency": "911", "outreach": "officer_initiated"},
    "detroit": {"988": "911", "non_emergency": "911", "outreach": "officer_initiated"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("city", CITIES)
def test_each_city_export_imports_every_call_as_the_seed_made_it(city, tmp_path):
    path = tmp_path / f"{city}.csv"
    rows = write_export(path, city, seed=7, scale=SCALE, internal=True)
    mapping = mapping_for(city)
    assert cad.CITIES[city].zone.key == mapping.time_zone  # the file is written in its zone
    report = import_calls(path, mapping)
    assert report.problems == [] and report.imported == report.created == rows > 200
    assert Call.objects.count() == TriageResult.objects.count() == rows

    with path.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    shape = cad.CITIES[city]
    for cells, seed in zip(exported, seed_calls(7, SCALE), strict=True):
        call = Call.objects.get(external_id=f"{mapping.tag}-{cells[mapping.columns['id']]}")
        zone = shape.zone
        written = datetime.fromisoformat(seed["received_at"]).astimezone(zone)
        # A local time names its instant, except in the repeated autumn hour (the first one).
        assert call.received_at == written.replace(tzinfo=None).replace(tzinfo=zone)
        category = cad._CATEGORY[seed["call_type"]]
        assert call.call_type in dict(shape.types[category])
        assert call.source == SOURCES[city].get(seed["source"], seed["source"])
        if city != "seattle" or seed["source"] not in ("officer_initiated", "outreach"):
            assert call.priority == int(seed["priority"])  # (Seattle's on-view may say 7 or 9)
        assert (call.latitude, call.longitude) == (
            float(seed["latitude"]),
            float(seed["longitude"]),
        )
        assert call.narrative == seed["narrative"]
        assert call.caller_name == seed["caller_name"]
        assert call.caller_phone == seed["caller_phone"]
        # The import flags frequent callers by intake's rule, as the seed did for its calls.
        assert call.frequent_caller == (seed["frequent_caller"] == "true")
    assert Call.objects.filter(frequent_caller=True).exists()


@pytest.mark.django_db
def test_a_public_export_imports_without_the_columns_it_does_not_publish(tmp_path):
    path = tmp_path / "seattle.csv"
    rows = write_export(path, "seattle", seed=3, scale=SCALE, background=0.5)
    report = import_calls(path, mapping_for("seattle", internal=False))
    assert report.imported == rows and report.frequent == 0
    assert not Call.objects.exclude(narrative="").exists()
    assert not Call.objects.exclude(caller_phone="").exists()
    outreach = Call.objects.filter(call_type="OUTREACH - PROACTIVE CONTACT").count()
    assert outreach and report.unmapped["OUTREACH - PROACTIVE CONTACT"] == outreach


@pytest.mark.django_db
def test_reimporting_the_same_export_changes_nothing(tmp_path):
    path = tmp_path / "nola.csv"
    write_export(path, "new-orleans", seed=11, scale=SCALE, internal=True, background=0.3)
    mapping = mapping_for("new-orleans")
    first = import_calls(path, mapping)
    fields = [f.name for f in Call._meta.concrete_fields]
    calls = list(Call.objects.order_by("pk").values_list(*fields))
    triage = list(
        TriageResult.objects.order_by("call_id").values_list(
            "call_id", "recommendation", "reason__fired", "reason__explanation", "triaged_at"
        )
    )
    again = import_calls(path, mapping)
    assert (again.imported, again.created, again.frequent) == (first.imported, 0, first.frequent)
    assert list(Call.objects.order_by("pk").values_list(*fields)) == calls
    assert (
        list(
            TriageResult.objects.order_by("call_id").values_list(
                "call_id", "recommendation", "reason__fired", "reason__explanation", "triaged_at"
            )
        )
        == triage
    )
    assert AuditEvent.objects.filter(action="import", object_type="calls").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("threshold", [(3, 90), (2, 30)])
@pytest.mark.parametrize("way", ["before the write", "beside it", "beside it, forked"])
def test_frequent_callers_are_flagged_exactly_as_intake_would_flag_them(
    tmp_path, settings, monkeypatch, threshold, way
):
    # Without triage the flags are worked out before the write; a first load with triage works
    # them out with the triage (forked for a large file, forced here) and flags after it.
    settings.CORESPONSE_FREQUENT_CALLER_CALLS, settings.CORESPONSE_FREQUENT_CALLER_DAYS = threshold
    if way.endswith("forked"):
        monkeypatch.setattr("coresponse.dispatch.triage.parallel.ASIDE_MIN_CALLS", 1)
    path = tmp_path / "detroit.csv"
    write_export(path, "detroit", seed=5, scale=SCALE, internal=True)
    report = import_calls(path, mapping_for("detroit"), triage=way != "before the write")
    calls = Call.objects.exclude(caller_phone="")
    assert report.frequent == calls.filter(frequent_caller=True).count()
    assert calls.filter(frequent_caller=True).exists()
    for call in calls:
        expected = is_frequent_caller(call.caller_phone, call.received_at, exclude_call_id=call.pk)
        assert call.frequent_caller == expected, call


TWO_COLUMNS = "Event,Received,Type,Phone\n"
MAPPING = """
name = "{name}"
tag = "{tag}"
time_format = "iso"
time_zone = "America/Denver"
[columns]
id = "Event"
received_at = "Received"
call_type = "Type"
caller_phone = "Phone"
"""


def small(tmp_path, tag: str, rows: str):
    mapping = tmp_path / f"{tag}.toml"
    mapping.write_text(MAPPING.format(name=tag.title(), tag=tag))
    path = tmp_path / f"{tag}.csv"
    path.write_text(TWO_COLUMNS + rows)
    return path, load_mapping(mapping)


@pytest.mark.django_db
def test_calls_stored_before_count_toward_a_frequent_caller(tmp_path):
    # Two earlier calls from the number: one 40 days before, one 100 days before (too old).
    earlier, _ = small(
        tmp_path,
        "intake",
        "A,2025-01-20T10:00:00,SERVICE - WELFARE CHECK,970-555-0142\n"
        "B,2024-11-21T10:00:00,SERVICE - WELFARE CHECK,970-555-0142\n",
    )
    import_calls(earlier, load_mapping(tmp_path / "intake.toml"))
    path, mapping = small(
        tmp_path,
        "cad",
        "1,2025-03-01T09:00:00,SERVICE - WELFARE CHECK,(970) 555-0142\n"
        "2,2025-03-01T09:00:00,SERVICE - WELFARE CHECK,+1 970 555 0199\n",
    )
    report = import_calls(path, mapping)
    assert report.frequent == 0  # 2 calls within 90 days: one short of 3
    Call.objects.filter(external_id="intake-B").update(
        received_at=Call.objects.get(external_id="intake-A").received_at
    )
    report = import_calls(path, mapping)  # now 3 calls within 90 days
    assert report.frequent == 1
    # Many other calls in the same weeks: the stored calls are looked up by number instead.
    at = Call.objects.get(external_id="cad-1").received_at
    Call.objects.bulk_create(
        Call(external_id=f"x-{n}", received_at=at, source="911", call_type="TRESPASS",
             caller_phone=f"303555{n:04d}")
        for n in range(12)
    )  # fmt: skip
    report = import_calls(path, mapping)
    assert report.frequent == 1
    assert Call.objects.get(external_id="cad-1").frequent_caller
    assert not Call.objects.get(external_id="cad-2").frequent_caller
    assert Call.objects.get(external_id="cad-2").caller_phone == "9705550199"


@pytest.mark.django_db
def test_a_reimport_reads_the_stored_calls_of_others_and_none_of_its_own(tmp_path):
    """The file's own stored calls are left out in SQL as runs of consecutive keys; another
    caller's call stored between them still counts, and so does one after them."""
    one, mapping = small(tmp_path, "cad", "1,2025-03-01T09:00:00,TRESPASS,970-555-0142\n")
    import_calls(one, mapping)
    at = Call.objects.get(external_id="cad-1").received_at
    Call.objects.create(external_id="x-1", received_at=at, source="911", call_type="X",
                        caller_phone="9705550142")  # fmt: skip
    rows = "1,2025-03-01T09:00:00,TRESPASS,970-555-0142\n2,2025-03-02T09:00:00,X,970-555-0142\n"
    both, _ = small(tmp_path, "cad", rows)
    import_calls(both, mapping)
    Call.objects.create(external_id="x-2", received_at=at, source="911", call_type="X",
                        caller_phone="9705550142")  # fmt: skip
    checked = check(both, mapping)
    own = stored_ids(Call, [values[0] for values in checked.rows])
    assert len(loader._runs(own.values())) == 2  # x-1 lies between the file's two calls
    read = list(loader._stored_calls(checked, timedelta(days=90), None, own.values()))
    assert read == [("9705550142", at), ("9705550142", at)]
    assert import_calls(both, mapping).frequent == 2  # each with x-1 and x-2: 4 calls
    assert loader._runs([7, 3, 4, 5, 9, 10]) == [(3, 5), (7, 7), (9, 10)]


@pytest.mark.django_db
def test_two_cities_never_collide_and_a_program_is_given_to_its_calls(tmp_path):
    program = Program.objects.create(external_id="p-1", name="Team", model="civilian_team")
    one, _ = small(tmp_path, "seattle", "1001,2025-03-01T09:00:00,TRESPASS,\n")
    two, _ = small(tmp_path, "detroit", "1001,2025-03-01T09:00:00,TRESPASS,\n")
    out = io.StringIO()
    call_command(
        "import-calls", str(one), mapping=str(tmp_path / "seattle.toml"), program="p-1",
        no_progress=True, stdout=out,
    )  # fmt: skip
    call_command(
        "import-calls", str(two), mapping=str(tmp_path / "detroit.toml"), no_progress=True,
        stdout=out,
    )  # fmt: skip
    assert sorted(Call.objects.values_list("external_id", "program")) == [
        ("detroit-1001", None),
        ("seattle-1001", program.pk),
    ]
    # Importing again without --program keeps the program the calls have.
    call_command(
        "import-calls", str(one), mapping=str(tmp_path / "seattle.toml"), no_progress=True,
        stdout=out,
    )  # fmt: skip
    assert Call.objects.get(external_id="seattle-1001").program == program


@pytest.mark.django_db(transaction=True)  # the command line closes the connection
def test_the_coresponse_command_line_finds_import_calls(tmp_path, capsys):
    path, _ = small(tmp_path, "cli", "7,2025-03-01T09:00:00,TRESPASS,\n8,later,TRESPASS,\n")
    argv = ["coresponse", "import-calls", str(path), "--mapping", str(tmp_path / "cli.toml")]
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line([*argv, "--no-progress"])
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert (
        err[0] == f"{path}:3:Received: 'later' is not an ISO 8601 time such as 2021-03-28T13:05:07"
    )
    assert err[1].startswith("CommandError: 1 problem in") and not Call.objects.exists()
    execute_from_command_line([*argv, "--no-progress", "--no-triage", "--skip-bad"])
    assert "Imported 1 calls" in capsys.readouterr().out
    assert Call.objects.get().external_id == "cli-7"
    assert not TriageResult.objects.exists()


def test_the_synthetic_export_is_the_same_file_for_the_same_arguments(tmp_path):
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    write_export(one, "new-orleans", seed=9, scale=0.01, background=0.5, internal=True)
    write_export(two, "new-orleans", seed=9, scale=0.01, background=0.5, internal=True)
    assert one.read_bytes() == two.read_bytes()
    header = one.read_text().splitlines()[0].split(",")
    mapping = mapping_for("new-orleans")
    assert set(mapping.columns.values()) <= set(header)
    write_export(two, "new-orleans", seed=10, scale=0.01, background=0.5, internal=True)
    assert one.read_bytes() != two.read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize("aside", [False, True], ids=["in-process", "forked"])
def test_calls_are_triaged_the_same_whether_decided_aside_or_in_process(
    tmp_path, monkeypatch, aside
):
    # A fork is only worth it for large files; here it is forced for seven rows.
    monkeypatch.setattr(
        "coresponse.dispatch.triage.parallel.ASIDE_MIN_CALLS", 1 if aside else 10**9
    )
    rows = "".join(f"{n},2025-03-01T09:0{n}:00,SERVICE - WELFARE CHECK,\n" for n in range(1, 7))
    rows += "7,2025-03-01T09:07:00,WEAPON - PERSON WITH KNIFE,\n"
    path, mapping = small(tmp_path, "runs", rows)
    report = import_calls(path, mapping)
    assert report.triaged == 7 and report.recommendations == {"civilian_team": 6, "police_only": 1}
    Call.objects.filter(external_id__in=["runs-2", "runs-5"]).delete()
    Call.objects.create(external_id="other", received_at=Call.objects.first().received_at,
                        source="911", call_type="TRESPASS")  # fmt: skip
    before = dict(TriageResult.objects.values_list("call__external_id", "triaged_at"))
    report = import_calls(path, mapping)  # 5 stored ids, 2 new after "other"
    assert (report.created, report.triaged) == (2, 7)
    results = dict(TriageResult.objects.values_list("call__external_id", "triaged_at"))
    assert len([i for i in results if i.startswith("runs-")]) == 7
    assert all(results[i] == before[i] for i in before if i in results)  # unchanged: kept
    assert not TriageResult.objects.filter(call__external_id="other").exists()


@pytest.mark.django_db
def test_a_stored_call_is_triaged_by_what_it_keeps_that_the_export_does_not_carry(tmp_path):
    # The call-taker's narrative says a knife was seen; the city's export has no narrative
    # column, so the import keeps the narrative and triage still sees the weapon.
    path, mapping = small(tmp_path, "keep", "1,2025-03-01T09:00:00,SERVICE - WELFARE CHECK,\n")
    call = Call.objects.create(
        external_id="keep-1", received_at=datetime.fromisoformat("2025-03-01T16:00:00+00:00"),
        source="911", call_type="SERVICE - WELFARE CHECK", priority=2,
        narrative="RP says her son is holding a knife and threatening himself",
    )  # fmt: skip
    import_calls(path, mapping)
    call.refresh_from_db()
    assert call.narrative.startswith("RP says") and call.priority == 2
    assert call.triage.recommendation == "police_only"
    assert "knife" in call.triage.explanation
