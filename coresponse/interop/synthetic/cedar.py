"""Cedar County's fixed facts: its agencies and programs (their external ids are relied on by
the web UI and the tests), unit costs, the time frame, and the bundle's columns."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("America/Denver")
UNTIL = date(2026, 10, 31)
DAYS = 730
BASE_CALLS = 15_000  # at scale 1, over DAYS
# The default frequent-caller rule of intake (CORESPONSE_FREQUENT_CALLER_CALLS / _DAYS): the seed
# flags its calls by it, so the data does not depend on a deployment's settings.
FREQUENT_CALLER_CALLS, FREQUENT_CALLER_WINDOW = 3, timedelta(days=90)

AGENCIES = (
    ("cedar-911", "Cedar Regional 911", "psap"),
    ("cedar-988", "Cedar Crisis Line 988", "crisis_line_988"),
    ("cedar-bhc", "Cedar Behavioral Health Center", "behavioral_health"),
    ("cedar-ems", "Cedar County EMS", "ems"),
    # A community provider that receives referrals in its own inbox (synthetic/care.py).
    ("cedar-peer-network", "Cedar Peer Network", "community_provider"),
    ("cedar-so", "Cedar County Sheriff's Office", "law_enforcement"),
    ("riverton-pd", "Riverton Police Department", "law_enforcement"),
    ("riverton-recovery", "Riverton Recovery Center", "community_provider"),  # the same
    ("st-brigid", "St. Brigid Regional Hospital", "hospital"),
)

RIDE_ALONG, ON_CALL, SCRT = "rpd-coresponder", "cso-oncall", "cedar-scrt"
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]

# Unit costs for the cost-avoidance model, in US dollars. They are illustrative round figures
# in the range of commonly published ones, not a costing of any real county:
# - jail_booking: booking plus a first night in a county jail; US jails report roughly $100-$250
#   per inmate-day plus booking/intake staff time (Vera Institute, "The Price of Jails", 2015;
#   El-Mallakh et al., "Costs and Savings Associated with Implementation of a Police Crisis
#   Intervention Team", Southern Medical Journal, 2014, for avoided bookings).
# - er_visit: an emergency-department visit for a behavioral-health crisis, including the
#   psychiatric evaluation (AHRQ HCUP statistical briefs put mean ED costs/charges for mental
#   and substance-use conditions in the low thousands of dollars).
# - hospital_admission: a short psychiatric inpatient stay (HCUP: mental-health stays average
#   about a week at roughly $1,000-$1,500 a day).
# - officer_hour: a fully loaded patrol-officer hour (BLS median police wage, about $35/h in
#   2023, times a 1.8-2x benefits and overhead load).
UNIT_COSTS = {
    "jail_booking": 1800,
    "er_visit": 2400,
    "hospital_admission": 9800,
    "officer_hour": 68,
}

PROGRAMS = (
    {
        "program_id": SCRT,
        "name": "Cedar Street Crisis Response Team",
        "model": "three_person_team",
        "agency_ids": ("cedar-bhc", "cedar-ems"),
        "focus_population": "general",
        "service_hours": [{"days": EVERY_DAY, "start": "07:00", "end": "19:00"}],
    },
    {
        "program_id": ON_CALL,
        "name": "Sheriff On-Call Clinician",
        "model": "on_call",
        "agency_ids": ("cedar-bhc", "cedar-so"),
        "focus_population": "general",
        "service_hours": [],  # 24/7 (on call)
    },
    {
        "program_id": RIDE_ALONG,
        "name": "Riverton Co-Responder Unit",
        "model": "ride_along",
        "agency_ids": ("cedar-bhc", "riverton-pd"),
        "focus_population": "general",
        "service_hours": [{"days": EVERY_DAY, "start": "11:00", "end": "23:00"}],
    },
)

PERSON_PREFIX = {
    "cedar-bhc": "bhc",
    "riverton-pd": "rpd",
    "cedar-so": "cso",
    "cedar-ems": "ems",
    "st-brigid": "stb",
    "cedar-988": "tel",  # the crisis line's caller records
}

COLUMNS = {
    "agencies.csv": ("agency_id", "name", "kind"),
    "programs.csv": ("program_id", "name", "model", "agency_ids", "focus_population"),
    "persons.csv": (
        "person_id", "agency_id", "first_name", "last_name", "dob", "sex", "race_ethnicity",
        "address", "phone", "veteran", "language",
    ),
    "calls.csv": (
        "call_id", "received_at", "source", "call_type", "priority", "address", "latitude",
        "longitude", "district", "narrative", "program_id", "caller_name", "caller_phone",
        "frequent_caller",
    ),
    "encounters.csv": (
        "encounter_id", "call_id", "person_id", "program_id", "kind", "dispatched_at",
        "on_scene_at", "cleared_at", "officer_cleared_at", "disposition", "services", "arrest",
        "citation", "jail_booking", "er_transport", "hospital_admission", "involuntary_hold",
        "use_of_force", "arrest_eligible", "clinical_note", "substance_use_note",
        "presenting_concerns", "weapon_present", "injuries",
    ),
    "referrals.csv": (
        "referral_id", "encounter_id", "person_id", "service_type", "provider", "sent_at",
        "status", "closed_at", "received_at", "accepted_at", "scheduled_at", "completed_at",
        "declined_at", "no_show_at",
    ),
    "followups.csv": (
        "followup_id", "encounter_id", "person_id", "due_at", "completed_at", "outcome",
        "attempts",
    ),
    "enrollments.csv": (
        "enrollment_id", "person_id", "provider", "service_type", "start_date", "end_date",
    ),
    "agreements.csv": (
        "agreement_id", "title", "from_agency_id", "to_agency_id", "categories", "purposes",
        "effective_from", "effective_to", "document_ref",
    ),
    "consents.csv": (
        "consent_id", "person_id", "from_agency_id", "to_agency_id", "categories", "purpose",
        "signed_at", "expires_at", "revoked_at", "to_class", "kind", "expiry_event", "signed_by",
        "description",
    ),
}  # fmt: skip
TRUTH_FILE = "identity_truth.csv"
TRUTH_COLUMNS = ("person_id", "human_id")
