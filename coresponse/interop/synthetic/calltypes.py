"""What the calls are about: categories, the CAD call-type strings that carry them, and the
dispatcher's narrative.

The call-type strings are copied, unchanged, from shared/data/vera_calltype_mapping_by_city.csv
(the Vera Institute / Two Sigma Data Clinic 911 call-type taxonomy, MIT licence), with the count
the source gives for each, so that both real formats a dispatch-criteria engine meets are here:

- Riverton PD (the city) uses Seattle's "Initial Call Type" strings (one "Final Call Type" for
  the intoxicated person, which Seattle's initial types lack);
- the Sheriff (the county) uses Charleston's "Problem" codes ("127D_Suicide Threat", ...).

Within a category a string is drawn in proportion to its count in the source; the categories'
shares are ours (a co-responder caseload: welfare checks, behavioral crises and suicide calls
first). Nothing is read from the shared folder at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sampling import pick


@dataclass(frozen=True)
class Category:
    key: str
    share: float  # of all calls (city mix; the county draws among the categories it has)
    at_home: float  # probability the call is at the person's home rather than a public place
    priority: tuple[int, ...]  # priorities to draw from (1 most urgent)
    low_risk: float  # probability the call is low-risk enough for the civilian team
    arrest_eligible: float  # probability an arrestable offence is present (besides arrests)
    substance: float  # probability substance use is part of the picture
    # disposition weights: resolved, referred, crisis centre, ER, hold, arrest, citation,
    # refused, transferred to EMS
    outcomes: tuple[float, ...]
    # (Vera count, string) pairs
    city_types: tuple[tuple[int, str], ...]
    county_types: tuple[tuple[int, str], ...] = ()


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category(
        "suicide", 0.17, 0.85, (1, 1, 2, 2, 2, 3), 0.35, 0.02, 0.14,
        (41, 20, 13, 4, 15, 0.4, 0, 5, 3.7),
        ((26299, "SUICIDE - IP/JO SUICIDAL PERSON AND ATTEMPTS"),
         (5653, "SUICIDE, SUICIDAL PERSON AND ATTEMPTS")),
        ((1476, "127D_Suicide Threat"), (277, "*Suicidal Person_In Progress"),
         (240, "127D_Suicide Attempt"), (158, "127D_Suicide Threat Weapon"),
         (22, "127B_Suicide Threat Past")),
    ),
    Category(
        "crisis", 0.22, 0.6, (2, 2, 3, 3, 3), 0.65, 0.07, 0.1,
        (49, 21, 9, 2.5, 10, 2.9, 0.5, 7, 1),
        ((18625, "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"),
         (6625, "MENTAL - PERSON OR PICKUP/TRANSPORT")),
        ((1275, "121C_Mental Disordr NonViolent"), (1036, "121D_Mental Disorder Violent"),
         (260, "*Mental Disorder_In Progress"), (124, "121D_Mental Disorder Violnt Wp")),
    ),
    Category(
        "welfare", 0.20, 0.75, (3, 3, 3, 4, 4), 0.95, 0.02, 0.07,
        (65, 19, 3, 2, 3, 0.4, 0, 8, 3.5),
        ((38384, "SERVICE - WELFARE CHECK"),),
        ((2659, "125D_Pub Svc Well Check"),),
    ),
    Category(
        "person_down", 0.04, 0.15, (2, 2, 3), 0.8, 0.01, 0.55,
        (54, 14, 3, 6, 2, 0.6, 0.3, 12, 12),
        ((29941, "DOWN - CHECK FOR PERSON DOWN"),),
    ),
    Category(
        "overdose", 0.03, 0.5, (1, 1, 2), 0.3, 0.02, 1.0,
        (38, 20, 6, 12, 3, 0.6, 0, 10, 10),
        ((9900, "OVERDOSE - DRUG RELATED CASUALTY"),),
    ),
    Category(
        "intoxicated", 0.05, 0.2, (3, 3, 4), 0.85, 0.16, 1.0,
        (52, 22, 6, 4, 2, 4.8, 2.5, 10, 2),
        ((22538, "--INTOX & LIQ VIOLS - INTOXICATED PERSON"),),
        ((1932, "113C_Disturb/Nuis Intoxicated"), (449, "113B_Disturbance Intoxicated")),
    ),
    Category(
        "disturbance", 0.09, 0.35, (2, 3, 3, 3), 0.45, 0.26, 0.12,
        (59, 19, 4, 1, 4, 6.6, 3, 7, 1),
        ((189601, "DISTURBANCE, MISCELLANEOUS/OTHER"),
         (24520, "FIGHT - VERBAL/ORAL (NO WEAPONS)")),
        ((7104, "113D_Disturbance Verbal Small"), (3013, "113D_Disturbnce Physical Small")),
    ),
    Category(
        "trespass", 0.05, 0.05, (3, 4, 4), 0.8, 0.32, 0.2,
        (60, 20, 3, 0.5, 2, 6, 4, 9, 0.5),
        ((66082, "TRESPASS"),),
        ((5507, "133D_Trespass/Unwnted Sm"),),
    ),
    Category(
        "unhoused", 0.04, 0.0, (4, 4, 5), 0.95, 0.14, 0.25,
        (59, 26, 3, 1.5, 1.5, 1.2, 1.5, 10, 1),
        ((7245, "PANHANDLING, AGGRESSIVE"), (1481, "SLEEPER ABOARD BUS/COMMUTER TRAIN")),
    ),
    Category(
        "missing_elder", 0.03, 0.9, (2, 2, 3), 0.9, 0.0, 0.0,
        (67, 18, 2, 8, 1, 0, 0, 3, 6),
        ((3254, "MISSING - (ALZHEIMER, ENDANGERED, ELDERLY)"),),
        ((774, "123D_Missing Person at Risk"),),
    ),
    Category(
        "youth", 0.03, 0.9, (2, 3, 3), 0.7, 0.05, 0.06,
        (54, 28, 6, 3, 6, 1, 0.5, 4, 1),
        ((6589, "JUVENILE - RUNAWAY"),),
        ((164, "123B_Missing Runaway"), (165, "*Missing/Runaway/Found_In Prog")),
    ),
    Category(
        "family", 0.03, 1.0, (2, 2, 3), 0.3, 0.28, 0.12,
        (56, 24, 6, 1.5, 5, 7.2, 1.5, 4, 0.5),
        ((4480, "THREATS - DV - NO ASSAULT"),),
        ((541, "*Dom Disturb/Viol_In Progress"),),
    ),
    Category(
        "threats", 0.02, 0.5, (2, 3, 3), 0.35, 0.32, 0.1,
        (59, 20, 4, 1, 4, 7.2, 3, 7, 0.5),
        ((32915, "THREATS (INCLS IN-PERSON/BY PHONE/IN WRITING)"),
         (17771, "HARAS - NO BIAS, THREATS OR MALICIOUSNESS")),
        ((1576, "119D_Harrassment Threat"),),
    ),
)
# fmt: on

BY_KEY = {c.key: c for c in CATEGORIES}
# The county's CAD has no code of its own for these; its dispatchers file them under another.
COUNTY_FALLBACK = {"person_down": "welfare", "overdose": "intoxicated", "unhoused": "trespass"}
WEAPON_TYPES = frozenset(
    {"127D_Suicide Threat Weapon", "121D_Mental Disorder Violnt Wp"}
)  # county codes that say a weapon was reported

DISPOSITIONS = (
    "resolved_on_scene",
    "referred",
    "voluntary_transport_crisis_center",
    "voluntary_transport_er",
    "involuntary_hold",
    "arrest",
    "citation",
    "refused_services",
    "transferred_ems",
)

# --- narratives ----------------------------------------------------------------------------------
# Placeholders: {rp} the reporting party's possessive (her/his); {rel} the person's relation to
# the RP; {sx} male/female; {age} "approx 40s"; {he} {him} {his} {himself} and capitalised {He};
# {place} where it is (a landmark, block or intersection); {site} a building there (a landmark
# or 'the gas station on Vine Dr'); {school}; {street}; {years} the person's age in years.

# fmt: off
HOME = {
    "suicide": (
        "RP states {rp} {rel} is threatening to harm {himself}, no weapons seen",
        "RP reports {rp} {rel} sent texts saying goodbye to family, {he} is locked in the bathroom",
        "Caller states {rp} {rel} has been saying {he} wants to die since losing {his} job, no "
        "weapons per RP",
        "RP advises {rp} {rel} took an unknown amount of {his} prescription pills approx 30 min "
        "ago, conscious and talking",
        "Subj called stating {he} is having thoughts of killing {himself}, alone at residence, "
        "requesting help",
        "RP states {rp} {rel} posted on social media that {he} will not be alive tomorrow, RP is "
        "outside the residence",
        "RP reports {rp} {rel} cut {his} forearms, bleeding controlled, {he} is refusing medical",
    ),
    "crisis": (
        "RP states {rp} {rel} has not slept in days and is talking to people who are not there, "
        "no weapons seen",
        "RP reports {rp} {rel} is off {his} meds and breaking things in the home, RP is outside",
        "Caller states {rp} {rel} believes neighbors are poisoning {his} food, becoming agitated, "
        "hx of schizophrenia per RP",
        "RP requests help with {rp} {rel} who is having a panic attack and cannot calm down",
        "RP states {rp} {rel} with bipolar disorder is manic, yelling and threatening family, no "
        "weapons seen",
        "RP reports {rp} {rel} barricaded in {his} room, shouting that someone is coming to get "
        "{him}",
    ),
    "welfare": (
        "RP requests welfare check on {rp} {rel}, has not seen {him} in 3 days, mail piling up",
        "RP requesting check on {rp} {rel}, {he} has not answered calls since "
        "yesterday and sounded depressed",
        "RP states {rp} {rel} left a concerning voicemail and is not answering, RP worried about "
        "{his} mental state",
        "Therapist requesting check on client who missed appointment and made concerning "
        "statements at last session",
        "Landlord requests check on tenant, not seen in a week, RP concerned for {his} welfare",
    ),
    "person_down": (
        "RP states {rp} {rel} is on the floor and will not get up, breathing, talking but confused",
    ),
    "overdose": (
        "RP states {rp} {rel} is unresponsive after using fentanyl, RP gave Narcan, now breathing",
        "Subj called stating {he} took too many pills and feels dizzy, requesting help",
    ),
    "intoxicated": (
        "RP states {rp} {rel} has been drinking all day and is becoming verbally aggressive, no "
        "weapons",
        "RP reports {rp} {rel} is intoxicated and talking about hurting {himself}, no weapons seen",
    ),
    "disturbance": (
        "Neighbor reports yelling and banging from the unit next door for an hour, sounds like "
        "one person",
        "RP reports {rp} {rel} is screaming and throwing things in the yard, no weapons seen",
    ),
    "trespass": (
        "RP reports {rp} {rel} who was told to move out is back at the residence and refusing to "
        "leave",
    ),
    "missing_elder": (
        "RP states {rp} {rel} with dementia walked away from the residence approx 1 hr ago, last "
        "seen wearing a blue jacket",
        "Care facility reports resident with Alzheimer's missing since lunch, may be walking to "
        "{his} old house",
        "RP reports {rp} {rel} left in the car to go to the store 3 hrs ago and has not returned, "
        "hx of memory loss",
    ),
    "youth": (
        "RP states {rp} {rel} (age {years}) ran away after an argument, has made statements about "
        "self-harm",
        "RP reports {rp} {rel} (age {years}) is out of control, breaking things and threatening "
        "to run away",
        "RP states {rp} {rel} (age {years}) locked {himself} in {his} room and is making suicidal "
        "statements",
    ),
    "family": (
        "RP states {rp} {rel} is yelling and threatening family members, no physical contact, "
        "{he} has a mental health hx",
        "RP reports ongoing argument with {rp} {rel}, {he} pushed furniture over, no injuries, no "
        "weapons",
    ),
    "threats": (
        "RP states {rp} {rel} left threatening voicemails, believed to be off {his} medication",
    ),
}

PUBLIC = {
    "suicide": (
        "Subj standing on the railing of the {street} overpass, RP unsure if {he} intends to jump",
        "RP reports a {sx} {age} in the parking lot of {site} saying {he} is going to kill "
        "{himself}, no weapons seen",
        "RP reports a {sx} {age} sitting on the train tracks near {street}, will not respond to RP",
    ),
    "crisis": (
        "RP reports a {sx} {age} yelling at passersby and believes people are following {him}, no "
        "weapons seen",
        "{Sx} {age} in the lobby of {site} talking to {himself} and refusing to leave, staff "
        "requesting assistance",
        "RP states a {sx} {age} is walking in traffic on {street}, appears confused and agitated",
        "Staff at {site} report a {sx} {age} undressing in public, appears to be in crisis",
    ),
    "welfare": (
        "RP reports a {sx} {age} sitting in the rain at {place} for several hours, not dressed "
        "for the weather",
        "{Sx} {age} sleeping in a vehicle at {place}, RP concerned for {his} welfare",
        "RP reports a {sx} {age} crying on a bench at {place}, says {he} has nowhere to go",
    ),
    "person_down": (
        "RP reports a {sx} {age} lying on the sidewalk at {place}, breathing, not responding to RP",
        "{Sx} down in the bushes at {place}, RP unsure if breathing",
        "Bus driver reports a {sx} {age} passed out at {place}, will not wake up",
    ),
    "overdose": (
        "RP reports a {sx} {age} slumped over in the restroom at {site}, possible overdose",
        "Caller states a {sx} {age} is turning blue behind {site}, bystander giving Narcan",
    ),
    "intoxicated": (
        "RP reports an intoxicated {sx} {age} stumbling in and out of traffic on {street}",
        "Intoxicated {sx} refusing to leave {site}, staff report {he} is yelling at customers",
        "{Sx} {age} passed out drunk at {place}, RP able to wake {him} but {he} is incoherent",
    ),
    "disturbance": (
        "RP reports a {sx} {age} screaming and throwing items in front of {place}",
        "Verbal disturbance at {place}, one party appears to be in a mental health crisis",
        "Caller reports a {sx} {age} punching walls in the hallway of {site}, no weapons seen",
    ),
    "trespass": (
        "Manager at {site} reports a {sx} {age} who was trespassed last week is back and "
        "refusing to leave",
        "RP reports a {sx} sleeping in the stairwell of {site}, refuses to leave",
        "{Sx} {age} inside the closed business at {site}, talking incoherently",
    ),
    "unhoused": (
        "RP reports a {sx} {age} camping behind {site}, appears to be in distress",
        "{Sx} {age} panhandling aggressively at {place}, following people to their cars",
        "Transit staff report a {sx} {age} sleeping on the bus at the {street} stop, will not exit "
        "at end of line",
    ),
    "missing_elder": (
        "RP reports an elderly {sx} wandering on {street}, confused and unable to say where {he} "
        "lives",
    ),
    "youth": (
        "School staff at {school} request help with a student (age {years}) making suicidal "
        "statements",
    ),
    "threats": (
        "RP reports a {sx} {age} making threats to staff at {site} after being refused service",
        "{Sx} {age} yelling threats at people waiting at {place}, no weapons seen",
    ),
}
# fmt: on

WEAPON_NOTES = (
    ", RP states {he} has a knife",
    ", possible firearm in the home per RP",
    ", {he} is holding a broken bottle",
    ", unk weapons",
)

# Proactive outreach is not a CAD call type in the Vera taxonomy: the programs log it as this.
OUTREACH_TYPE = "OUTREACH - PROACTIVE CONTACT"
OUTREACH_NOTES = (
    "Outreach: proactive check on known client at {place}, missed BHC appointment",
    "Outreach: follow-up visit to known client at {place} per case manager request",
    "Outreach: check on client after recent crisis contact, {place}",
    "Outreach: bring supplies and check in with known client camping near {place}",
)

# What a building at an ordinary address is, for {site}.
SITES = (
    "gas station",
    "convenience store",
    "laundromat",
    "fast-food restaurant",
    "motel",
    "apartment complex",
    "grocery store",
    "church",
    "pharmacy",
)
SCHOOLS = ("Riverton High School", "Lincoln Middle School", "Cedar Ridge High School")

SOURCE_PREFIX = {
    "988": "988 transfer: ",
    "officer_initiated": "Officer on view: ",
    "non_emergency": "",
    "911": "",
}


def relation(rng, sex: str, age: int) -> str:
    """How the RP names the person: 'son', 'wife', 'neighbor'..."""
    female = sex == "female"
    if age < 18:
        options = (
            ("daughter", "granddaughter", "stepdaughter")
            if female
            else ("son", "grandson", "stepson")
        )
    elif age < 30:
        options = (
            ("daughter", "sister", "girlfriend", "roommate")
            if female
            else ("son", "brother", "boyfriend", "roommate")
        )
    elif age < 60:
        options = (
            ("wife", "sister", "daughter", "partner", "roommate")
            if female
            else ("husband", "brother", "son", "partner", "roommate")
        )
    else:
        options = (
            ("mother", "wife", "neighbor", "aunt")
            if female
            else ("father", "husband", "neighbor", "uncle")
        )
    return pick(rng, options)


PRONOUNS = {
    "male": {"he": "he", "He": "He", "him": "him", "his": "his", "himself": "himself"},
    "female": {"he": "she", "He": "She", "him": "her", "his": "her", "himself": "herself"},
}
