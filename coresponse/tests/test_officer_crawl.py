"""A crawl of every GET route as police staff: no mental-health, substance-use or medical text
of any person reaches an officer or a police supervisor without the person's consent.

Every URL pattern of the project is requested with every id of the test county filled in (so
pages no link leads to are tried too), and every link on every page reached is followed. The
notes of the test county carry unique markers (NOTE-<person>-<category>); the substance-use
referral's provider is a marker too. As a positive control, the same crawl after the person
consents to share mental-health data with the police finds that person's mental-health note and
still no substance-use text: the crawl does reach the pages that show notes.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from coresponse.agencies.models import Agency
from coresponse.privacy.models import Purpose
from coresponse.privacy.services import record_consent
from coresponse.web.tests.factories import build_county

pytestmark = pytest.mark.django_db
CLINICAL = re.compile(r"NOTE-[a-z]+-(mental_health|substance_use|medical)")
SUBSTANCE = ("Cedar Recovery",)  # the substance-use referral's provider
SKIP = ("/admin/", "/api/v1/docs/", "/api/v1/schema/", "/api/schema/", "/logout/", "/static/")
MAX_PAGES = 1500


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.found.append(href)


def patterns(resolver=None, prefix=""):
    """Every URL pattern as a regex-free template: ('people/<int:pk>/', {'pk': int})."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + route


def fill(template: str, ids: list[int], words: list[str]):
    """Concrete paths for a pattern: each <int:...> with each id, each <str|slug:...> with each
    word (external ids of the county's records)."""
    slots = re.findall(r"<(?:(\w+):)?(\w+)>", template)
    if not slots:
        yield template
        return
    if len(slots) > 1:
        return  # no route of the project takes two parameters
    converter = slots[0][0] or "str"
    values = ids if converter == "int" else words
    for value in values:
        yield re.sub(r"<(?:\w+:)?\w+>", str(value), template)


def crawl(client, start: list[str]) -> dict[str, str]:
    """GET every start path and every same-site link found; path -> response text. A server
    error is a finding too: it is reported under the path with the text "SERVER ERROR"."""
    client.raise_request_exception = False
    seen, queue, bodies = set(), list(start), {}
    while queue and len(seen) < MAX_PAGES:
        path = urldefrag(queue.pop(0))[0]
        if path in seen or any(path.startswith(s) for s in SKIP) or "^" in path or "$" in path:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code >= 500:
            bodies[path] = "SERVER ERROR"
            continue
        if response.status_code != 200 or "text/event-stream" in response.get("Content-Type", ""):
            continue
        text = response.content.decode("utf-8", "replace")
        bodies[path] = text
        if "html" in response.get("Content-Type", ""):
            parser = Links()
            parser.feed(text)
            for href in parser.found:
                target = urljoin(path, href)
                if urlsplit(target).netloc in ("", "testserver"):
                    queue.append(urlsplit(target)._replace(scheme="", netloc="").geturl())
    return bodies


def leaks(bodies: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for path, text in bodies.items():
        if text == "SERVER ERROR":
            found.append((path, text))
        found += [(path, m.group(0)) for m in CLINICAL.finditer(text)]
        found += [(path, marker) for marker in SUBSTANCE if marker in text]
    return found


def start_paths(w) -> list[str]:
    from coresponse.care.models import Referral
    from coresponse.dispatch.models import Call
    from coresponse.field.models import Encounter
    from coresponse.people.models import Person

    ids = sorted(
        {p.pk for p in Person.objects.all()}
        | {e.pk for e in Encounter.objects.all()}
        | {c.pk for c in Call.objects.all()}
        | {r.pk for r in Referral.objects.all()}
    )
    words = [p.external_id for p in Person.objects.all()] + ["ride-along", "scrt"]
    paths = ["/"]
    for template in patterns():
        paths += list(fill(template, ids, words))
    return paths


@pytest.mark.parametrize("username", ["officer", "supervisor", "deputy"])
def test_police_staff_see_no_clinical_text_without_consent(client, username):
    w = build_county()
    client.force_login(w.users[username])
    bodies = crawl(client, start_paths(w))
    assert len(bodies) > 20, "the crawl reached too few pages to mean anything"
    assert leaks(bodies) == []


def test_with_consent_the_crawl_finds_what_was_consented_and_nothing_more(client):
    w = build_county()
    ann = w.persons["ann"]
    record_consent(
        person=ann,
        to_agency=Agency.objects.get(external_id="riverton-pd"),
        categories=["identity", "mental_health"],
        purposes=[Purpose.EMERGENCY_RESPONSE],
        signed_at=timezone.now() - timedelta(days=1),
        expires_at=timezone.now() + timedelta(days=30),
        kind="program",
        by=None,
    )
    client.force_login(w.users["officer"])
    found = {marker for _, marker in leaks(crawl(client, start_paths(w)))}
    assert "NOTE-ann-mental_health" in found  # the crawl does reach the notes
    assert not {m for m in found if "substance_use" in m or "medical" in m or m in SUBSTANCE}
    assert {m for m in found if m.startswith("NOTE-")} == {"NOTE-ann-mental_health"}
