import pytest
from django.urls import reverse

URLS = [
    "/",
    "/care/followups/",
    "/care/referrals/",
    "/care/referrals/?show=open",
    "/care/referrals/?show=closed",
    "/care/referrals/inbox/",
    "/care/outreach/",
    "/care/resources/",
    "/care/resources/?need=shelter&open_now=1&lat=40.57&lon=-105.07",
    "/field/",
    "/field/sw.js",
    "/field/manifest.webmanifest",
    "/field/conflicts/",
    "/api/v1/field/profile/",
    "/api/v1/field/work/",
    "/api/v1/care/resources/",
    "/api/v1/field/outreach/",
]


@pytest.mark.parametrize(
    "user",
    ["clinician", "casemanager", "officer", "paramedic", "provider", "dispatcher", "auditor"],
)
def test_smoke(login, world, user):
    c = login(user)
    for url in URLS:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.content[:3000])
    r = c.get(f"/care/people/{world.persons['ann'].pk}/safety-plan/")
    assert r.status_code in (200, 404)
