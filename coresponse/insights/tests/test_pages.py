"""Who may open which insights page (role x page), what each shows, and what it withholds."""

import pytest
from django.urls import reverse

from coresponse.field.tests.world import build_world

ALLOWED = {"supervisor", "manager", "admin"}
EVERY_USER = (
    "dispatcher",
    "officer",
    "deputy",
    "clinician",
    "paramedic",
    "peer",
    "casemanager",
    "supervisor",
    "manager",
    "admin",
    "auditor",
)
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def county(db):
    return build_world()


@pytest.fixture
def login(client, county):
    def as_user(username):
        client.force_login(county.users[username])
        return client

    return as_user


def pages():
    return [
        ("dashboard", reverse("insights:dashboard")),
        ("groups", reverse("insights:groups")),
        ("drilldown", reverse("insights:drilldown", args=["er_transport_rate"])),
        ("evaluation", reverse("insights:evaluation")),
        ("report-pdf", reverse("insights:report", args=["pdf"])),
        ("report-csv", reverse("insights:report", args=["csv"])),
        ("api", reverse("api:metrics")),
        ("api-catalogue", reverse("api:metrics_catalogue")),
    ]


@pytest.mark.parametrize("username", EVERY_USER)
def test_role_by_page(login, username):
    client = login(username)
    for name, url in pages():
        response = client.get(url, PERIOD)
        expected = 200 if username in ALLOWED else 403
        assert response.status_code == expected, (username, name, response.status_code)


def test_signed_out_goes_to_sign_in_and_the_api_answers_401(client, county):
    response = client.get(reverse("insights:dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("api:metrics")).status_code in (401, 403)


def test_nav_shows_insights_to_the_roles_that_may_open_it(login):
    for username in EVERY_USER:
        page = login(username).get(reverse("home")).content.decode()
        assert (reverse("insights:dashboard") in page) == (username in ALLOWED), username


def test_dashboard_shows_tiles_with_numerator_and_denominator(login):
    page = login("manager").get(reverse("insights:dashboard"), PERIOD).content.decode()
    assert "Program dashboard" in page
    assert "Without arrest" in page and "5 of 5 crisis encounters" in page
    assert "Numerator:" in page and "Denominator:" in page  # the tiles' hover/focus text
    assert 'role="tooltip"' in page and 'tabindex="0"' in page
    assert "<svg" in page and "chart-band" in page
    assert "For whom: outcomes by group" in page and "At what cost" in page
    assert "Every metric" in page and "frequent_client_enrollment_rate" in page
    # Aggregates only: no person's name on the dashboard.
    for name in ("Ann Alder", "Pete Pine", "Alder", "P-ann"):
        assert name not in page


def test_dashboard_scopes_to_the_users_programs(login, county):
    # The supervisor's agency (Riverton PD) is a partner of the ride-along program only.
    page = login("supervisor").get(reverse("insights:dashboard"), PERIOD).content.decode()
    assert "3 of 3 crisis encounters" in page
    other = county.programs["scrt"].pk
    response = login("supervisor").get(reverse("insights:dashboard"), {**PERIOD, "program": other})
    assert response.status_code == 400  # another program answers as a missing one
    assert "no program" in response.content.decode()


def test_bad_dates_are_explained(login):
    response = login("manager").get(reverse("insights:dashboard"), {"from": "yesterday"})
    assert response.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in response.content.decode()


def test_drilldown_lists_only_what_the_policy_lets_the_viewer_see(login, county):
    response = login("manager").get(
        reverse("insights:drilldown", args=["er_transport_rate"]), PERIOD
    )
    page = response.content.decode()
    assert response.context["counted"] == 5  # every encounter of the county had an ER transport
    listed = {e.external_id for e in response.context["rows"]}
    # ER transport is medical data: the manager's agency (BHC) holds Ann's record only.
    assert listed == {"E-ann"}
    assert response.context["not_listed"] == 4
    assert "counted but not listed" in page
    assert "Ann Alder" in page and "Pete" not in page


def test_drilldown_of_an_unknown_figure_is_404(login):
    response = login("manager").get(reverse("insights:drilldown", args=["budget_utilization"]))
    assert response.status_code == 404


def test_evaluation_pack_sets_the_county_beside_published_figures(login):
    page = login("manager").get(reverse("insights:evaluation"), PERIOD).content.decode()
    for text in ("98% of calls did not end in arrest", "Colorado", "Arapahoe", "Larimer",
                 "$458,000 spent of a $1 million budget", "Boston", "68.8%"):  # fmt: skip
        assert text in page, text


def test_transparency_page_needs_no_sign_in_and_hides_small_numbers(client, county):
    response = client.get(reverse("transparency:page"), {"program": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "How our crisis response is doing" in page
    assert "fewer than 11" in page  # 5 people in all: every people figure is withheld
    for name in ("Ann Alder", "Pete Pine", "Alder", "E-ann"):
        assert name not in page


def test_transparency_rejects_a_bad_year(client, county):
    response = client.get(reverse("transparency:page"), {"year": "1812"})
    assert response.status_code == 400


def test_recount_asks_the_worker(login):
    client = login("manager")
    response = client.post(reverse("insights:refresh"), {"next": "/insights/?from=2026-10-01"})
    assert response.status_code == 302 and response["Location"] == "/insights/?from=2026-10-01"
    assert login("officer").post(reverse("insights:refresh")).status_code == 403


def test_the_home_page_of_managers_links_the_dashboard(login):
    page = login("manager").get(reverse("home")).content.decode()
    assert "Open the full dashboard" in page
    assert f'href="{reverse("insights:dashboard")}?' in page


def test_small_groups_are_marked_for_managers_and_hidden_for_other_roles(login):
    manager = login("manager").get(reverse("insights:groups"), PERIOD).content.decode()
    assert "fewer than 11 people: hidden in shared reports" in manager
    assert 'class="small-mark" title="Fewer than 11 people"' in manager
    supervisor = login("supervisor").get(reverse("insights:groups"), PERIOD).content.decode()
    assert "hidden for your role" in supervisor
    assert 'class="small-mark" title="Fewer than 11 people"' not in supervisor


def test_the_worker_answers_the_default_dashboards_ahead(
    login, county, django_assert_max_num_queries
):
    from django.core.cache import cache

    from coresponse.insights import selectors
    from coresponse.insights.models import Snapshot
    from coresponse.insights.tasks import refresh_facts

    result = refresh_facts.enqueue().return_value  # tasks run at once in tests
    assert result["dashboards_warmed"] >= 4  # each agency of a lead: all its programs, and each
    assert Snapshot.objects.exists()
    cache.clear()  # another process: only the database's snapshots
    client = login("manager")
    with django_assert_max_num_queries(60):  # read, not computed (a computed one runs ~100)
        assert client.get(reverse("insights:dashboard")).status_code == 200
    assert selectors.warm(persist=False) == result["dashboards_warmed"]


def test_the_groups_of_a_new_question_follow_the_page(login):
    """A question nobody asked since the rebuild: the headline figures come at once, the
    breakdowns and equity view are asked for by the page (htmx), or inline on request."""
    client = login("manager")
    first = client.get(reverse("insights:dashboard"), PERIOD).content.decode()
    assert "Crisis responses" in first or "responses" in first
    assert f'hx-get="{reverse("insights:groups")}?' in first
    assert "Show them now" in first and "By call source" not in first
    inline = client.get(reverse("insights:dashboard"), {**PERIOD, "groups": "now"}).content
    assert b"By call source" in inline and b"Race and ethnicity" in inline
    # Once counted, they come with the page.
    again = client.get(reverse("insights:dashboard"), PERIOD).content.decode()
    assert "By call source" in again and "hx-get" not in again
    fragment = client.get(reverse("insights:groups"), PERIOD).content.decode()
    assert fragment.startswith('<div id="groups"') and "By district" in fragment
