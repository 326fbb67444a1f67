"""The triage engine without a database: rules, negation, exclusions, hours, flags, sentences,
the bulk path, the Vera screening of unfamiliar codes and the shipped example protocols."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from coresponse.dispatch.models import Recommendation
from coresponse.dispatch.triage import protocols, vera
from coresponse.dispatch.triage.engine import (
    RECOMMENDATIONS,
    CallFacts,
    compile_protocol,
    words_of,
)

TZ = ZoneInfo("America/Denver")
# A Tuesday afternoon and a Tuesday night, local time.
DAY = datetime(2026, 10, 27, 14, 30, tzinfo=TZ)
NIGHT = datetime(2026, 10, 27, 2, 15, tzinfo=TZ)

WEAPON = ["weapon*", "gun", "knife", "armed", "firearm*"]
DOCUMENT = {
    "name": "Riverton ride-along",
    "default": "police_only",
    "service_hours": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "11:00", "end": "23:00"}],
    "exclusions": [
        {
            "id": "X1",
            "label": "weapon mentioned",
            "topic": "weapon",
            "recommend": "police_only",
            "keywords_any": WEAPON,
        },
        {
            "id": "X2",
            "label": "violence in progress",
            "topic": "violence",
            "recommend": "police_only",
            "keywords_any": ["assault*", "stabbing", "hitting her"],
        },
        {
            "id": "X3",
            "label": "medical emergency",
            "topic": "medical emergency",
            "recommend": "ems",
            "keywords_any": ["unresponsive", "not breathing", "overdos*"],
        },
    ],
    "rules": [
        {
            "id": "R1",
            "label": "caller wants someone to talk to",
            "recommend": "988_transfer",
            "priority": [4, 5],
            "keywords_any": ["wants to talk", "lonely"],
        },
        {
            "id": "R2",
            "label": "low-priority call from a frequent caller",
            "recommend": "clinician_phone",
            "priority": [3, 5],
            "flags_any": ["frequent_caller"],
        },
        {
            "id": "R3",
            "label": "suicidal-ideation call",
            "recommend": "co_responder",
            "hours": "program",
            "keywords_any": ["suicid*", "kill himself", "wants to die"],
        },
        {
            "id": "R4",
            "label": "welfare check",
            "recommend": "civilian_team",
            "categories": ["Welfare Check"],
            "keywords_none": ["intox*"],
        },
        {
            "id": "R5",
            "label": "behavioral-health call at night",
            "recommend": "clinician_phone",
            "hours": [{"days": [0, 1, 2, 3, 4], "start": "23:00", "end": "07:00"}],
            "categories": ["Behavioral Health"],
        },
        {
            "id": "R6",
            "label": "988 transfer line",
            "recommend": "co_responder",
            "call_sources": ["988"],
            "call_types": ["*CRISIS*"],
        },
    ],
}


@pytest.fixture(scope="module")
def protocol():
    return compile_protocol(DOCUMENT, version=2, tz=TZ)


def decide(protocol, narrative="", call_type="Suicidal subject", priority=2, at=DAY, **kw):
    return protocol.decide(CallFacts(call_type, priority, narrative, at, **kw))


def test_recommendations_match_the_model():
    assert dict(Recommendation.choices) == RECOMMENDATIONS


def test_a_rule_fires_with_one_plain_sentence(protocol):
    d = decide(protocol, "RP says her son wants to die, no weapons in the home")
    assert d.recommendation == "co_responder" and d.fired == ("R3",)
    assert d.explanation == (
        "Co-responder team: suicidal-ideation call during program hours; no weapon per "
        "narrative, no violence or medical emergency mentioned "
        "(rule R3 of Riverton ride-along v2)."
    )


@pytest.mark.parametrize(
    "narrative",
    [
        "no weapon",
        "he denies weapons",
        "left without a weapon",
        "subject is not armed",
        "RP states no weapons seen",
        "denies having any weapons",
        "weapons: none",
        "Weapons - neg",
        "no guns or knives in the home",
    ],
)
def test_negated_weapons_do_not_count(protocol, narrative):
    d = decide(protocol, f"Suicidal statements. {narrative}.")
    assert d.fired == ("R3",), d.explanation


@pytest.mark.parametrize(
    "narrative, quoted",
    [
        ("he has a knife", "knife"),
        ("possible firearm in the home per RP", "firearm"),
        ("no injuries, he has a gun", "gun"),  # the negation is in another clause
        ("no one hurt but he is armed", "armed"),  # "but" ends the negated clause
        ("nobody said weapons", "weapons"),  # "nobody" is not a negation cue of ours
        ("says no, he has a weapon in his bag", "weapon"),
        ("unk weapons", "weapons"),  # unknown is not none
    ],
)
def test_weapons_mentioned_exclude_first(protocol, narrative, quoted):
    d = decide(protocol, f"Suicidal subject, {narrative}")
    assert d.recommendation == "police_only" and d.fired == ("X1",)
    assert d.explanation == (
        f'Police only: weapon mentioned ("{quoted}") (exclusion X1 of Riverton ride-along v2).'
    )


def test_negation_window_is_three_words_in_the_clause(protocol):
    assert decide(protocol, "denies having a knife").fired == ("R3",)  # 3 words back
    assert decide(protocol, "denies that he has a knife").fired == ("X1",)  # 4 words back


def test_exclusions_in_order_and_before_rules(protocol):
    d = decide(protocol, "overdose, assault in progress", call_type="Welfare check", priority=5)
    assert d.fired == ("X2",) and d.recommendation == "police_only"
    d = decide(protocol, "found unresponsive after he tried to kill himself")
    assert d.recommendation == "ems" and d.fired == ("X3",)
    assert "not breathing" not in d.explanation
    assert decide(protocol, "he is not breathing well").fired == ("X3",)  # a phrase with "not"


def test_call_type_words_count_too(protocol):
    assert decide(protocol, "", call_type="127D_Suicide Threat Weapon").fired == ("X1",)
    assert decide(protocol, "", call_type="FIGHT - VERBAL/ORAL (NO WEAPONS)").fired == ()


def test_program_hours_and_the_closest_miss(protocol):
    d = decide(protocol, "talking about suicide", call_type="Disturbance", at=NIGHT)
    assert d.recommendation == "police_only" and d.fired == ()
    assert d.explanation == (
        "Police only: suicidal-ideation call but outside program hours (rule R3); no other "
        "rule matched (default of Riverton ride-along v2)."
    )
    late = compile_protocol(
        DOCUMENT,
        version=2,
        tz=TZ,
        service_hours=[{"days": [0], "start": "22:00", "end": "03:00"}],  # Monday night
    )
    said = {"narrative": "talking about suicide", "call_type": "Disturbance"}
    assert decide(late, **said, at=NIGHT).fired == ("R3",)  # Monday 22:00 to Tuesday 03:00
    assert decide(late, **said, at=NIGHT.replace(day=28)).fired == ()  # Tuesday night: no
    always = compile_protocol(DOCUMENT, tz=TZ, service_hours=[])  # a 24/7 program
    assert decide(always, **said, at=NIGHT).fired == ("R3",)


def test_time_windows_cross_midnight_on_weekdays_only(protocol):
    crisis = "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"
    at = datetime(2026, 10, 27, 23, 40, tzinfo=TZ)  # Tuesday 23:40
    assert decide(protocol, "", call_type=crisis, at=at).fired == ("R5",)
    saturday_early = datetime(2026, 10, 31, 2, 0, tzinfo=TZ)  # Friday night's window
    assert decide(protocol, "", call_type=crisis, at=saturday_early).fired == ("R5",)
    sunday_early = datetime(2026, 11, 1, 2, 0, tzinfo=TZ)  # Saturday is not in the window
    assert decide(protocol, "", call_type=crisis, at=sunday_early).fired == ()
    utc = datetime(2026, 10, 28, 5, 40, tzinfo=ZoneInfo("UTC"))  # Tue 23:40 in Denver
    assert decide(protocol, "", call_type=crisis, at=utc).fired == ("R5",)


def test_flags_priority_and_sources(protocol):
    d = decide(protocol, "", call_type="Noise", priority=4, flags=frozenset({"frequent_caller"}))
    assert d.fired == ("R2",) and "from a frequent caller" in d.explanation
    assert (
        decide(
            protocol, "", call_type="Noise", priority=2, flags=frozenset({"frequent_caller"})
        ).fired
        == ()
    )
    assert decide(protocol, "", call_type="Noise", priority=None).fired == ()
    assert decide(
        protocol, "just lonely and wants to talk", call_type="Noise", priority=5
    ).fired == ("R1",)
    assert decide(protocol, "", call_type="Person in crisis", source="988").fired == ("R6",)
    assert decide(protocol, "", call_type="Person in crisis", source="911").fired == ()


def test_categories_screen_unfamiliar_codes_and_keywords_none(protocol):
    for code in ("SERVICE - WELFARE CHECK", "125D_Pub Svc Well Check", "Welfare chk"):
        assert decide(protocol, "not seen for days", call_type=code, priority=4).fired == ("R4",)
    assert decide(protocol, "intoxicated", call_type="Welfare check", priority=4).fired == ()
    assert decide(protocol, "no intox", call_type="Welfare check", priority=4).fired == ("R4",)


def test_default_sentence_names_the_call_type(protocol):
    d = decide(protocol, "loud music", call_type="Noise complaint", priority=4)
    assert d.explanation == (
        'Police only: no rule matched call type "Noise complaint" at priority 4 '
        "(default of Riverton ride-along v2)."
    )


def test_decide_many_matches_decide(protocol):
    calls = [
        CallFacts("Suicidal subject", 2, text, at)
        for text in ("wants to die", "has a knife", "no knife, wants to die", "", "wants to die")
        for at in (DAY, NIGHT)
    ]
    assert protocol.decide_many(calls) == [protocol.decide(c) for c in calls]
    assert protocol.decide_many(iter(calls[:2])) == [protocol.decide(c) for c in calls[:2]]


def test_words_of_splits_clauses():
    assert words_of("Subj: not armed - has_knife.") == [
        "subj", ",", "not", "armed", ",", "has", "knife", ",",
    ]  # fmt: skip


def test_vera_screening_of_unfamiliar_codes():
    assert vera.category_of("SUICIDE, SUICIDAL PERSON AND ATTEMPTS") == "Behavioral Health"
    assert vera.category_of("mental  patient") == "Behavioral Health"  # case and spaces
    assert vera.category_of("Suicidal subject") == "Behavioral Health"  # by its telling words
    assert vera.category_of("Chest pain") == "Medical Emergencies"
    assert vera.category_of("Zebra sighting") is None
    assert vera.categories_of("SERVICE - WELFARE CHECK") == {"Statuses", "Welfare Check"}
    assert "Welfare Check" not in vera.categories_of("ASSIST PUBLIC - NO WELFARE CHK")
    assert "Behavioral Health" in vera.categories() and "Assist the Public" not in vera.categories()


@pytest.mark.parametrize("name", sorted(protocols.EXAMPLES))
def test_examples_compile_and_decide(name):
    compiled = compile_protocol(protocols.load(name), version=1, tz=TZ)
    d = compiled.decide(CallFacts("127D_Suicide Threat", 2, "RP states he has a gun", DAY))
    assert d.recommendation == "police_only" and d.fired == ("X1",)
    d = compiled.decide(CallFacts("OVERDOSE", 2, "found unresponsive", DAY))
    assert d.recommendation == "ems"
    d = compiled.decide(CallFacts("SERVICE - WELFARE CHECK", 3, "worried, no weapons", DAY))
    assert d.recommendation in RECOMMENDATIONS and d.explanation.endswith(" v1).")
