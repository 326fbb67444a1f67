"""Navigation shown in the page shell, chosen by the signed-in person's roles."""

from dataclasses import dataclass

from django.urls import reverse

from coresponse.agencies.models import Role
from coresponse.privacy.selectors import memberships


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# (label, url name, path prefix that marks it current, roles that see it; None = every role)
SECTIONS = (
    ("Home", "home", None, None),
    ("Calls", "dispatch:call_list", "/calls/", None),
    ("New call", "dispatch:call_new", "/calls/new/", {Role.DISPATCHER}),
    # A dispatcher's home is the board; supervisors and managers open it from here.
    ("Board", "dispatch:board", "/calls/board/", {Role.SUPERVISOR, Role.PROGRAM_MANAGER}),
    # Triage protocols: every reader reaches them from a call; their editors from here.
    (
        "Protocols",
        "dispatch:protocol_list",
        "/calls/protocols/",
        {Role.SUPERVISOR, Role.PROGRAM_MANAGER},
    ),
    ("Encounters", "field:encounter_list", "/encounters/", set(Role) - {Role.DISPATCHER}),
    ("People", "person_list", "/people/", None),
    # Follow-ups, referrals and the provider's inbox, outreach, the directory (coresponse.care).
    (
        "Care",
        "care:followup_list",
        "/care/",
        {
            Role.CLINICIAN,
            Role.CASE_MANAGER,
            Role.PEER_SPECIALIST,
            Role.SUPERVISOR,
            Role.PROGRAM_MANAGER,
        },
    ),
    (
        "Resources",
        "care:resource_list",
        "/care/resources/",
        {Role.DISPATCHER, Role.OFFICER, Role.PARAMEDIC},
    ),
    # The installable, offline field app of the teams on scene (coresponse.field).
    (
        "Field",
        "field_app:app",
        "/field/",
        {Role.OFFICER, Role.CLINICIAN, Role.PARAMEDIC, Role.PEER_SPECIALIST, Role.CASE_MANAGER},
    ),
    # Clerical review of identity links (web/review_selectors.py REVIEWER_ROLES).
    ("Matches", "review_queue", "/review/", {Role.AGENCY_ADMIN, Role.SUPERVISOR}),
    # The trust pages (coresponse.privacy): the audit log and reviews, the agencies' MOUs.
    ("Audit", "privacy:audit_log", "/privacy/audit/", {Role.AUDITOR}),
    ("Agreements", "privacy:agreements", "/privacy/agreements/", {Role.AGENCY_ADMIN}),
    # Metrics, reports and the evaluation pack (coresponse.insights).
    (
        "Insights",
        "insights:dashboard",
        "/insights/",
        {Role.SUPERVISOR, Role.PROGRAM_MANAGER, Role.AGENCY_ADMIN},
    ),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    ms = memberships(user)  # loaded once per request (with agencies); later reads are free
    roles = {m.role for m in ms}
    path = request.path
    # The longest matching prefix is the current section (/calls/new/ is not also /calls/).
    longest = max(
        (len(p) for _, _, p, _ in SECTIONS if p is not None and path.startswith(p)), default=0
    )
    items = []
    for label, url_name, prefix, allowed in SECTIONS:
        if allowed is not None and not roles & allowed:
            continue
        url = reverse(url_name)
        current = (
            path == url if prefix is None else (path.startswith(prefix) and len(prefix) == longest)
        )
        items.append(NavItem(label, url, current))
    if user.is_staff:
        items.append(NavItem("Admin", reverse("admin:index"), path.startswith("/admin/")))
    primary = ms[0] if ms else None
    return {
        "nav_items": items,
        "primary_membership": primary,
        "other_memberships": ms[1:],
    }
