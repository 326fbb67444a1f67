"""The installable field app: its shell, manifest and service worker, what its first load
weighs, and who may open the reconcile pages."""

import gzip
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from coresponse.field import app_views

FIRST_LOAD_BUDGET = 150 * 1024  # bytes, gzip-compressed


def test_the_shell_holds_no_person_data_and_names_its_api(login):
    response = login("clinician").get(reverse("field_app:app"))
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    page = response.content.decode()
    assert 'rel="manifest"' in page and "field/field.js" in page
    assert 'data-api-records="/api/v1/field/records/"' in page
    assert 'data-api-status="/api/v1/field/assignments/{id}/status/"' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither inline
    for name in ("Ann", "Pete", "Natarajan"):
        assert name not in page  # the same shell for everyone: the worker may keep it


def test_the_manifest_makes_it_installable(client, db):
    response = client.get(reverse("field_app:manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone" and manifest["name"] == "Coresponse Field"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon


def test_the_worker_keeps_the_shell_and_its_files_and_never_the_api(client, db):
    response = client.get(reverse("field_app:sw"))
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    script = response.content.decode()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))
    assert precache == app_views.precache()
    assert "/field/" in precache and "/static/field/field.js" in precache
    assert not any(p.startswith("/api/") for p in precache)
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', script).group(1)
    assert version == app_views._version()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def test_the_first_load_is_under_150_kb_compressed(login, world):
    """Everything a first load fetches: the shell, the worker, the manifest, each file the
    worker keeps, and the API answers the app asks for at start (profile, the team's call,
    the directory, outreach). The browser test measures the same over the wire."""
    client = login("clinician")
    urls = [
        reverse("field_app:app"),
        reverse("field_app:sw"),
        *app_views.precache(),
        "/api/v1/field/profile/",
        "/api/v1/field/work/",
        "/api/v1/care/resources/",
        "/api/v1/field/outreach/",
    ]
    sizes = {}
    for url in dict.fromkeys(urls):
        if url.startswith("/static/"):
            with open(finders.find(url.removeprefix("/static/")), "rb") as handle:
                data = handle.read()
        else:
            response = client.get(url)
            assert response.status_code == 200, url
            data = response.content
        sizes[url] = gz(data)
    total = sum(sizes.values())
    print(f"first load: {total / 1024:.1f} KiB compressed", sizes)
    assert total < FIRST_LOAD_BUDGET


@pytest.mark.parametrize("url", ["/field/", "/field/conflicts/", "/field/conflicts/1/"])
def test_staff_pages_of_the_app_need_a_signed_in_user(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_manifest_and_worker_are_public_but_empty_of_data(client, db):
    assert client.get(reverse("field_app:sw")).status_code == 200
    assert client.get(reverse("field_app:manifest")).status_code == 200
