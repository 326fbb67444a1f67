"""`coresponse triage FILE --mapping M --protocol P`: what a protocol would have done with a
city's calls, overall, by call type and by hour of week, without writing anything."""

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponse.dispatch.models import Call, Recommendation, TriageResult
from coresponse.dispatch.services.intake import frequent_caller_threshold
from coresponse.dispatch.services.triage import create_protocol
from coresponse.dispatch.triage import documents, protocols
from coresponse.dispatch.triage.engine import CallFacts, compile_protocol
from coresponse.interop.cad import check, load_mapping
from coresponse.interop.synthetic.cad import INTERNAL_COLUMNS, write_export

MAPPINGS = Path(__file__).resolve().parents[3] / "docs" / "cad-mappings"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A Seattle export with its remarks and callers, and a mapping that reads them."""
    folder = tmp_path_factory.mktemp("triage")
    path = folder / "seattle.csv"
    write_export(path, "seattle", seed=21, scale=0.03, background=0.5, internal=True)
    mapping = folder / "seattle.toml"
    extra = "".join(f'{name} = "{column}"\n' for name, column in INTERNAL_COLUMNS.items())
    text = (MAPPINGS / "seattle.toml").read_text()
    mapping.write_text(text.replace("[columns]\n", "[columns]\n" + extra))
    return path, mapping


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("triage", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def expected_counts(path, mapping, name="star"):
    """The protocol's decisions, made here one call at a time, with frequent callers found the
    slow way: N or more calls from the number within the window ending at the call."""
    loaded = load_mapping(mapping)
    checked = check(path, loaded)
    compiled = compile_protocol(protocols.load(name), tz=loaded.zone)
    at = {field: index for index, field in enumerate(checked.fields)}
    calls, days = frequent_caller_threshold()
    window = timedelta(days=days)
    times = defaultdict(list)
    for values in checked.rows:
        times[values[at["caller_phone"]]].append(values[at["received_at"]])
    overall, by_hour, by_type = Counter(), Counter(), Counter()
    for values in checked.rows:
        when, phone = values[at["received_at"]], values[at["caller_phone"]]
        same = [t for t in times[phone] if phone and when - window < t <= when]
        facts = CallFacts(
            values[at["call_type"]],
            values[at["priority"]],
            values[at["narrative"]],
            when,
            values[at["source"]],
            frozenset({"frequent_caller"}) if len(same) >= calls else frozenset(),
        )
        decision = compiled.decide(facts)
        local = when.astimezone(loaded.zone)
        overall[decision.recommendation] += 1
        by_hour[(local.weekday() * 24 + local.hour, decision.recommendation)] += 1
        by_type[(facts.call_type, decision.recommendation)] += 1
    return overall, by_hour, by_type, len(checked.rows)


@pytest.mark.django_db
def test_the_table_shows_shares_overall_by_call_type_and_by_hour_of_week(export):
    path, mapping = export
    text = run(str(path), mapping=str(mapping), protocol="star")
    overall, _, _, calls = expected_counts(path, mapping)
    labels = dict(Recommendation.choices)
    assert f"{calls:,} calls triaged with Street crisis team (STAR-like) (example 'star')" in text
    lines = text.splitlines()
    start = lines.index("Overall")
    for name, count in overall.items():
        row = next(line for line in lines[start:] if line.strip().startswith(labels[name]))
        assert f"{count:,}" in row and f"{count / calls:.1%}" in row
    assert "By call type (" in text and "SERVICE - WELFARE CHECK" in text
    assert "more call types" in text  # the table shows the 30 busiest
    assert "By hour of week (America/Los_Angeles)" in text
    for name in overall:
        block = lines.index(f"  {labels[name]} ({name})")
        assert lines[block + 1].split() == [f"{h:02d}" for h in range(24)]
        assert [line.split()[0] for line in lines[block + 2 : block + 9]] == list(DAYS)
        assert all(len(line.split()) == 25 for line in lines[block + 2 : block + 9])
    # Nothing was written.
    assert not Call.objects.exists() and not TriageResult.objects.exists()


@pytest.mark.django_db
def test_json_and_csv_carry_every_count_for_tools(export):
    path, mapping = export
    overall, by_hour, by_type, calls = expected_counts(path, mapping)
    document = json.loads(run(str(path), mapping=str(mapping), protocol="star", format="json"))
    assert document["calls"] == calls and document["time_zone"] == "America/Los_Angeles"
    assert {k: v["calls"] for k, v in document["overall"].items() if v["calls"]} == dict(overall)
    assert sum(v["share"] for v in document["overall"].values()) == pytest.approx(1)
    hours = document["by_hour_of_week"]
    assert [h["hour_of_week"] for h in hours][:2] == ["Mon 00", "Mon 01"]
    assert len(hours) == 168 and hours[-1]["hour_of_week"] == "Sun 23"
    for index, hour in enumerate(hours):
        for name, cell in hour["recommendations"].items():
            assert cell["calls"] == by_hour[(index, name)]
    for row in document["by_call_type"]:
        for name, cell in row["recommendations"].items():
            assert cell["calls"] == by_type[(row["call_type"], name)]
    assert sum(row["calls"] for row in document["by_call_type"]) == calls

    rows = list(
        csv.DictReader(
            io.StringIO(run(str(path), mapping=str(mapping), protocol="star", format="csv"))
        )
    )
    overall_rows = [r for r in rows if r["breakdown"] == "overall"]
    assert {r["recommendation"]: int(r["calls"]) for r in overall_rows if int(r["calls"])} == dict(
        overall
    )
    assert len({r["group"] for r in rows if r["breakdown"] == "hour_of_week"}) == 168


@pytest.mark.django_db
def test_a_protocol_from_the_database_or_a_file(export, tmp_path):
    path, mapping = export
    document = protocols.load("cahoots")
    create_protocol(None, document, user=None, external_id="our-cahoots", activate=False)
    text = run(str(path), mapping=str(mapping), protocol="our-cahoots")
    assert "protocol 'our-cahoots' v1 in the database" in text
    mine = tmp_path / "mine.toml"
    mine.write_text(documents.dumps(document))
    assert f"(file {mine})" in run(str(path), mapping=str(mapping), protocol=str(mine))
    with pytest.raises(CommandError, match="no protocol 'nope'.*our-cahoots.*star"):
        run(str(path), mapping=str(mapping), protocol="nope")


@pytest.mark.django_db
def test_frequent_callers_in_the_file_reach_the_protocol(tmp_path, settings):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'name = "t"\ntag = "t"\ntime_format = "iso"\ntime_zone = "America/Denver"\n'
        '[columns]\nid = "id"\nreceived_at = "at"\ncall_type = "type"\ncaller_phone = "phone"\n'
    )
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,at,type,phone\n"
        + "".join(
            f"{n},2025-03-0{n}T10:00:00,SERVICE - WELFARE CHECK,970-555-0101\n" for n in (1, 2, 3)
        )
    )
    protocol = tmp_path / "p.toml"
    protocol.write_text(
        'name = "Frequent"\ndefault = "police_only"\n[[rules]]\nid = "R1"\nlabel = "frequent"\n'
        'recommend = "clinician_phone"\nflags_any = ["frequent_caller"]\n'
    )
    document = json.loads(
        run(str(path), mapping=str(mapping), protocol=str(protocol), format="json")
    )
    assert document["overall"]["clinician_phone"]["calls"] == 1  # the third call
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 2
    document = json.loads(
        run(str(path), mapping=str(mapping), protocol=str(protocol), format="json")
    )
    assert document["overall"]["clinician_phone"]["calls"] == 2


@pytest.mark.django_db
def test_bad_rows_stop_the_command_unless_skipped(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'name = "t"\ntag = "t"\ntime_format = "iso"\ntime_zone = "UTC"\n'
        '[columns]\nid = "id"\nreceived_at = "at"\ncall_type = "type"\n'
    )
    path = tmp_path / "calls.csv"
    path.write_text("id,at,type\n1,2025-03-01T10:00:00,TRESPASS\n2,soon,TRESPASS\n")
    with pytest.raises(CommandError, match="1 problem in"):
        run(str(path), mapping=str(mapping), protocol="default")
    text = run(str(path), mapping=str(mapping), protocol="default", skip_bad=True)
    assert "1 calls triaged" in text and "1 bad rows left out" in text
