"""Clinician notes (mental_health) and substance-use notes (42 CFR Part 2), from short templates.

A note is a presentation, a risk line, what the team did and the plan, each chosen to agree
with the encounter's concerns, services and disposition.
"""

from __future__ import annotations

from .sampling import pick

PRESENTATION = {
    "suicidal_ideation": (
        "Client tearful, reports feeling hopeless since {stressor}.",
        "Client reports thoughts of ending {his} life over the past week, worse tonight.",
        "Client withdrawn, says family would be better off without {him}.",
    ),
    "psychosis": (
        "Client presents with disorganized speech and paranoid ideation; responding to internal "
        "stimuli.",
        "Client believes neighbors are monitoring {him} through the walls; thought process "
        "tangential.",
        "Client reports hearing voices telling {him} {he} is in danger; has been off medication "
        "for several weeks.",
    ),
    "depression": (
        "Client reports low mood, poor sleep and loss of appetite for several weeks.",
        "Client flat affect, states {he} has not left the apartment in days.",
    ),
    "anxiety": (
        "Client hyperventilating on arrival, reports chest tightness and fear of dying; panic "
        "symptoms.",
        "Client anxious and pacing, reports racing thoughts after {stressor}.",
    ),
    "dementia": (
        "Client disoriented to time and place, pleasant, believes it is {year}.",
        "Client confused, unable to give address; family reports progressive memory loss.",
    ),
    "developmental": (
        "Client with intellectual disability, escalated after change in routine; caregiver "
        "present.",
        "Client nonverbal at times, calmed with caregiver support and reduced stimulation.",
    ),
    "family_conflict": (
        "Ongoing conflict with family about {stressor}; both parties agreed to talk with team.",
        "Argument at home escalated; client states {he} feels unheard by family.",
    ),
    "homelessness": (
        "Client currently unhoused, sleeping outside near the river; reports losing shelter bed.",
        "Client living in vehicle for two months, lost housing after {stressor}.",
    ),
    "welfare": (
        "Client found at home, alert, reports being overwhelmed and isolated.",
        "Client located and oriented; reports not eating well and running out of medication.",
    ),
    "substance_use": (
        "Client appears intoxicated, slurred speech, steady enough to stand.",
        "Client reports recent use, alert and cooperative.",
    ),
}

STRESSORS = (
    "a breakup",
    "losing {his} job",
    "an eviction notice",
    "the death of {his} mother",
    "a custody dispute",
    "a recent diagnosis",
    "money problems",
    "school pressure",
)

# Suicide risk by how the encounter ended: low, moderate, high.
SUICIDE_RISK = {
    "low": (
        "C-SSRS screen positive: passive SI, no plan or intent; denies access to firearms.",
        "Denies current SI/HI after de-escalation; past attempt three years ago.",
        "Passive SI without plan; identifies reasons for living (children, pets).",
    ),
    "moderate": (
        "C-SSRS: SI with plan (overdose), no preparatory behavior; medications secured by family.",
        "SI with vague plan; requests a safe place to stay tonight.",
    ),
    "high": (
        "Endorses SI with plan and intent; unable to engage in safety planning.",
        "Recent attempt tonight (ingestion); continued intent to die.",
    ),
}
SUICIDE_LEVEL = {
    "voluntary_transport_crisis_center": "moderate",
    "voluntary_transport_er": "moderate",
    "transferred_ems": "moderate",
    "involuntary_hold": "high",
}
NO_RISK = (
    "Denies SI/HI.",
    "Denies SI/HI; no safety concerns identified.",
    "Denies SI and HI; no access to weapons per client.",
)

PLAN = {
    "resolved_on_scene": (
        "Stabilized on scene with de-escalation and crisis counseling; client safe to remain home.",
        "Client calmer, agreed to stay with family tonight; team to follow up in 24-48 h.",
        "Resolved on scene; client declined further services at this time, safety reviewed.",
    ),
    "referred": (
        "Referral made; client agreed to intake appointment this week.",
        "Client accepted referral and warm hand-off call completed with provider.",
    ),
    "voluntary_transport_crisis_center": (
        "Client agreed to voluntary evaluation; transported by team to Cedar BHC crisis "
        "stabilization unit.",
        "Voluntary admission to crisis stabilization unit for overnight observation.",
    ),
    "voluntary_transport_er": (
        "Client agreed to medical evaluation; transported to St. Brigid ED.",
    ),
    "involuntary_hold": (
        "Client meets criteria for an emergency mental health hold (M-1, C.R.S. 27-65-106), "
        "imminent danger to self; transported for evaluation.",
        "Placed on emergency mental health hold for grave disability; transported for evaluation.",
    ),
    "arrest": (
        "Client taken into custody by officer for the underlying offense; clinician shared "
        "crisis plan with jail mental health staff.",
    ),
    "citation": (
        "Officer issued a summons; clinician provided resources and scheduled follow-up.",
    ),
    "refused_services": (
        "Client declined assessment and services; no imminent risk identified; resources left.",
        "Client refused to engage; capacity appears intact; information left with family.",
    ),
    "transferred_ems": ("Care transferred to EMS for medical evaluation.",),
}

SUBSTANCE = (
    "Reports drinking about a fifth of vodka daily; last drink this morning. No withdrawal signs "
    "observed. Declined detox, accepted information on Riverton Recovery Center.",
    "Reports daily fentanyl use (smoked) for two years; Narcan kit provided and overdose "
    "prevention reviewed.",
    "Methamphetamine use over the past three days, not slept; agitation consistent with "
    "stimulant use.",
    "Reports binge drinking on weekends, increased since {stressor}. Interested in outpatient "
    "SUD treatment.",
    "Cannabis use daily; reports it helps with sleep. Open to discussing reduction with "
    "prescriber.",
    "Client in MAT (buprenorphine) at Riverton Recovery Center, reports a lapse this week; "
    "wants to reconnect with counselor.",
    "BAC not measured; strong odor of alcohol, slurred speech. History of withdrawal seizures per "
    "client; referred to withdrawal management.",
)


OUTREACH_PLAN = (
    "Outreach visit: reviewed upcoming appointments and medications; client stable.",
    "Outreach visit: brought water and hygiene kit; client engaged briefly, no acute concerns.",
    "Outreach visit: reconnected client with case manager; transportation to intake arranged.",
)


def clinical_note(rng, concerns, disposition, pronouns, year, outreach=False) -> str:
    first = concerns[0] if concerns else "welfare"
    stressor = pick(rng, STRESSORS).format(**pronouns)
    parts = [
        pick(rng, PRESENTATION.get(first, PRESENTATION["welfare"])).format(
            stressor=stressor, year=year - rng.randrange(5, 30), **pronouns
        ),
        pick(
            rng,
            SUICIDE_RISK[SUICIDE_LEVEL.get(disposition, "low")]
            if "suicidal_ideation" in concerns
            else NO_RISK,
        ),
        pick(rng, OUTREACH_PLAN)
        if outreach and disposition in ("resolved_on_scene", "referred")
        else pick(rng, PLAN.get(disposition, PLAN["resolved_on_scene"])),
    ]
    return " ".join(parts)


def substance_note(rng, pronouns) -> str:
    return pick(rng, SUBSTANCE).format(stressor=pick(rng, STRESSORS).format(**pronouns))
