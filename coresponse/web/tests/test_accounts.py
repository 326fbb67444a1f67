"""Sign-in, the second factor, the lockout, the idle lock and the account pages, through
Django's test client (the real-browser side is test_accounts_browser.py)."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from coresponse.agencies import services
from coresponse.agencies.models import ApiToken, MfaRequirement, Role, User
from coresponse.privacy.models import AuditEvent
from coresponse.web.session_security import LAST_SEEN, POLL_HEADER
from coresponse.web.tests.factories import PASSWORD, USERS, build_county

ACCOUNT_PAGES = (
    "account",
    "account_setup",
    "account_totp",
    "account_backup_codes",
    "account_password",
)


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def county_pw(db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's back-off after a wrong code
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    # The forms are real; only the deliberately slow hash is swapped (argon2 has its own test).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_county(usable_passwords=True)


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def code(device, steps_ahead=0) -> str:
    """The code the app would show (steps_ahead=1: the next 30 s step, which the server
    accepts too, so one test can use two codes without waiting)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{totp.token():06d}"


def enrol_totp(client) -> TOTPDevice:
    client.get(reverse("account_totp"))
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("account_totp"), {"code": code(device)})
    assert response.status_code in (200, 302), body(response)
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_password_only_sign_in_upgrades_an_old_hash_and_is_audited(client, county_pw, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    User.objects.filter(username="clinician").update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    response = sign_in(client, "clinician")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert User.objects.get(username="clinician").password.startswith("argon2$argon2id$")
    assert client.get(reverse("home")).status_code == 200  # the re-hash keeps the session
    event = AuditEvent.objects.filter(action="login").latest("id")
    assert event.detail == "signed in (password)" and event.actor.username == "clinician"
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="logout", actor__username="clinician").exists()


def test_the_sixth_try_is_refused_even_with_the_right_password(client, county_pw):
    officer = User.objects.get(username="officer")
    for attempt in range(1, 6):
        response = sign_in(client, "officer", "wrong password " * 2)
        assert response.status_code == 200
        if attempt < 5:
            assert "Please enter a correct username and password" in body(response)
    assert "Too many failed sign-ins: this account is locked until" in body(response)
    refused = sign_in(client, "officer")  # the right password, the sixth try
    assert "this account is locked until" in body(refused)
    assert client.get(reverse("home")).status_code == 302  # not signed in
    events = list(
        AuditEvent.objects.filter(object_id=str(officer.pk)).values_list("action", "detail")
    )
    assert events[:4] == [("login_failed", "wrong password")] * 4
    assert events[4] == ("login_failed", "wrong password")
    assert events[5][0] == "account" and events[5][1].startswith("locked out after 5 failed")
    assert events[6] == ("login_failed", "refused: locked out")
    assert not any(PASSWORD in d or "wrong password wrong" in d for _, d in events)
    # An unknown name answers exactly the same, and its lock is as real.
    for _ in range(5):
        last = sign_in(client, "nosuchuser")
    assert "this account is locked until" in body(last)

    # An administrator unlocks from the admin's user list.
    admin = User.objects.get(username="admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    client.post(
        reverse("admin:agencies_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [officer.pk]},
    )
    client.post(reverse("logout"))
    assert sign_in(client, "officer").status_code == 302
    unlock = AuditEvent.objects.filter(action="account", detail="sign-in of officer unlocked").get()
    assert unlock.actor == admin


def test_sign_in_with_an_authenticator_app(client, county_pw):
    client.force_login(User.objects.get(username="clinician"))
    page = client.get(reverse("account_totp"))
    assert page.status_code == 200
    assert '<svg viewBox="0 0' in body(page) and 'class="qr"' in body(page)
    assert "otpauth" not in body(page)  # the key is in the QR code and shown grouped, once
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post(reverse("account_totp"), {"code": "123456"})
    assert wrong.status_code == 400 and "That code is not right" in body(wrong)
    done = client.post(reverse("account_totp"), {"code": code(device)})
    # The first second factor shows the backup codes once.
    assert done.status_code == 200 and body(done).count("<li><code>") == 10
    assert "no-store" in done["Cache-Control"]
    client.post(reverse("logout"))

    first = sign_in(client, "clinician", next="/people/")
    assert first.status_code == 302
    assert first["Location"] == reverse("login_verify") + "?next=%2Fpeople%2F"
    assert client.get(reverse("home")).status_code == 302  # not signed in yet
    assert client.get(first["Location"]).status_code == 200
    bad = client.post(reverse("login_verify"), {"code": "000000", "next": "/people/"})
    assert bad.status_code == 400 and "That code is not right" in body(bad)
    good = client.post(reverse("login_verify"), {"code": code(device, 1), "next": "/people/"})
    assert good.status_code == 302 and good["Location"] == "/people/"
    assert client.get("/people/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(actor=None, action="login_failed").values_list(
            "detail", flat=True
        )
    )
    assert actions == ["wrong authenticator code"]
    assert AuditEvent.objects.filter(
        action="login", detail="signed in (password + authenticator app)"
    ).exists()


def test_a_backup_code_signs_in_once(client, county_pw):
    client.force_login(User.objects.get(username="casemanager"))
    enrol_totp(client)
    codes = services.new_backup_codes(User.objects.get(username="casemanager"))
    client.post(reverse("logout"))
    sign_in(client, "casemanager")
    ok = client.post(reverse("login_verify"), {"code": codes[0]})
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    client.post(reverse("logout"))
    sign_in(client, "casemanager")
    again = client.post(reverse("login_verify"), {"code": codes[0]})
    assert again.status_code == 400
    assert AuditEvent.objects.filter(detail="signed in (password + backup code)").count() == 1
    assert AuditEvent.objects.filter(detail__startswith="signed in with a backup code (9 left)")


def test_wrong_codes_count_toward_the_lockout(client, county_pw):
    client.force_login(User.objects.get(username="peer"))
    enrol_totp(client)
    client.post(reverse("logout"))
    sign_in(client, "peer")
    for _ in range(5):
        last = client.post(reverse("login_verify"), {"code": "000000"})
    assert "locked until" in body(last) and "Back to sign-in" in body(last)
    assert "this account is locked" in body(sign_in(client, "peer"))


def test_a_role_that_requires_a_second_factor_is_walked_through_enrolment(client, county_pw):
    w = county_pw
    MfaRequirement.objects.create(agency=w.agencies["riverton-pd"], role=Role.OFFICER)
    response = sign_in(client, "officer", next="/calls/")
    assert response.status_code == 302 and response["Location"] == "/calls/"
    # Signed in with the password, but nothing opens before a second factor is set up.
    home = client.get("/calls/")
    assert home.status_code == 302
    assert home["Location"] == reverse("account_setup") + "?next=%2Fcalls%2F"
    setup = client.get(home["Location"])
    assert "your agency requires a second step" in body(setup)
    api = client.get("/api/v1/calls/", HTTP_ACCEPT="application/json")
    assert api.status_code == 401 and api.json()["code"] == "second_factor"
    htmx = client.get("/people/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"].startswith(reverse("account_setup"))
    assert client.get(reverse("account")).status_code == 302  # the account page too

    device = enrol_totp(client)
    assert client.get("/calls/").status_code == 200
    # The last factor of a role that requires one cannot be removed.
    client.post(reverse("account_totp_remove"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # The next sign-in asks for the code.
    client.post(reverse("logout"))
    assert sign_in(client, "officer")["Location"].startswith(reverse("login_verify"))
    # An officer of another agency is not concerned.
    assert sign_in(client.__class__(), "deputy")["Location"] == reverse("home")


def test_a_requirement_added_during_a_session_applies_within_a_minute(client, county_pw):
    w = county_pw
    sign_in(client, "paramedic")
    assert client.get("/people/").status_code == 200
    MfaRequirement.objects.create(agency=w.agencies["cedar-ems"], role=Role.PARAMEDIC)
    session = client.session
    session["coresponse_factors"][2] -= 61  # the cached answer is a minute old
    session.save()
    assert client.get("/people/")["Location"].startswith(reverse("account_setup"))


def test_an_idle_session_locks_and_comes_back_where_it_was(client, county_pw, settings):
    sign_in(client, "clinician")
    assert client.get("/people/").status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - settings.CORESPONSE_IDLE_LOCK_MINUTES * 60 - 1
    session.save()
    locked = client.get("/people/?q=alder")
    assert locked.status_code == 302
    assert locked["Location"] == reverse("lock") + "?next=%2Fpeople%2F%3Fq%3Dalder"
    assert AuditEvent.objects.filter(
        action="account", detail__startswith="session locked: 30"
    ).exists()
    # Every page, the API and htmx polls stay locked until the password is typed.
    assert client.get("/calls/").status_code == 302
    assert client.get("/api/v1/calls/").status_code == 401
    poll = client.get("/calls/board/live/", HTTP_HX_REQUEST="true")
    assert poll.status_code == 401 and poll["HX-Redirect"].startswith(reverse("lock"))
    screen = client.get(locked["Location"])
    assert screen.status_code == 200 and "Screen locked" in body(screen)
    assert "Alder" not in body(screen) and "nav-wide" not in body(screen)
    wrong = client.post(reverse("lock"), {"password": "not it at all", "next": "/people/?q=alder"})
    assert wrong.status_code == 400 and "not right" in body(wrong)
    back = client.post(reverse("lock"), {"password": PASSWORD, "next": "/people/?q=alder"})
    assert back.status_code == 302 and back["Location"] == "/people/?q=alder"
    assert client.get("/people/?q=alder").status_code == 200
    assert AuditEvent.objects.filter(detail="unlocked the session (password)").exists()


def test_failing_to_unlock_five_times_signs_out(client, county_pw):
    sign_in(client, "supervisor")
    client.get(reverse("lock") + "?by=user")
    for _ in range(5):
        last = client.post(reverse("lock"), {"password": "not it at all"})
    assert "Signed out" in body(last) and "locked until" in body(last)
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_background_polls_do_not_keep_a_session_awake(client, county_pw):
    sign_in(client, "dispatcher")
    session = client.session
    session[LAST_SEEN] = time.time() - 600
    session.save()
    client.get("/calls/board/live/", **{f"HTTP_{POLL_HEADER.upper().replace('-', '_')}": "1"})
    assert client.session[LAST_SEEN] < time.time() - 590  # a poll is not activity
    assert client.get(reverse("session_alive")).status_code == 204  # typing on a page is
    assert client.session[LAST_SEEN] > time.time() - 5


def test_every_role_reaches_its_own_account_pages_and_no_one_elses(client, county_pw):
    other = User.objects.get(username="auditor")
    _, token = services.issue_token(other)
    for page in ACCOUNT_PAGES:
        anonymous = client.get(reverse(page))
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    for username in USERS:
        client.force_login(User.objects.get(username=username))
        for page in ACCOUNT_PAGES:
            response = client.get(reverse(page))
            assert response.status_code == 200, (username, page)
        account = body(client.get(reverse("account")))
        assert "Signing in" in account and "Recent sign-ins" in account
        if username != "auditor":
            assert token.prefix not in account
            revoke = client.post(reverse("account_token_revoke", args=[token.pk]))
            assert revoke.status_code == 404
        assert client.post(reverse("account_passkey_remove", args=[987654])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    client.force_login(other)
    assert token.prefix in body(client.get(reverse("account")))
    client.post(reverse("account_token_revoke", args=[token.pk]))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_the_account_page_lists_recent_sign_ins_and_changes_the_password(client, county_pw):
    sign_in(client, "casemanager", "mistyped password here")
    sign_in(client, "casemanager")
    page = body(client.get(reverse("account")))
    assert "Failed: wrong password" in page and "Signed in (password)" in page
    new = "a fresh and long passphrase"
    refused = client.post(
        reverse("account_password"),
        {"old_password": PASSWORD, "new_password1": "tooshort", "new_password2": "tooshort"},
    )
    assert refused.status_code == 200 and "at least 15 characters" in body(refused)
    changed = client.post(
        reverse("account_password"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    assert client.get(reverse("account")).status_code == 200  # still signed in
    assert User.objects.get(username="casemanager").check_password(new)
    assert AuditEvent.objects.filter(action="account", detail="password changed").exists()


def test_the_admin_signs_in_through_the_same_door(client, county_pw):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    # And changes a password where it is checked and audited.
    assert client.get("/admin/password_change/")["Location"] == reverse("account_password")


def test_security_headers_and_the_system_use_notice(client, db, settings):
    settings.CORESPONSE_SYSTEM_USE_NOTICE = "NOTICE: for the use of Cedar County only."
    response = client.get(reverse("login"))
    assert "NOTICE: for the use of Cedar County only." in body(response)
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in response["Permissions-Policy"]
    assert "<script>" not in body(response) and "style=" not in body(response)


def test_session_cookie_settings(client, county_pw, settings):
    response = sign_in(client, "officer")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.CSRF_COOKIE_HTTPONLY


def test_an_expired_pending_sign_in_starts_over(client, county_pw):
    client.force_login(User.objects.get(username="manager"))
    enrol_totp(client)
    client.post(reverse("logout"))
    sign_in(client, "manager")
    session = client.session
    session["coresponse_pending_sign_in"]["at"] -= 301
    session.save()
    assert client.get(reverse("login_verify"))["Location"] == reverse("login")
    assert timezone.now() - timedelta(minutes=1) < AuditEvent.objects.latest("id").at


def test_an_optional_second_factor_can_be_removed_and_then_is_not_asked(client, county_pw):
    client.force_login(User.objects.get(username="paramedic"))
    enrol_totp(client)
    assert "You confirm every sign-in with a second factor" in body(client.get(reverse("account")))
    client.post(reverse("account_totp_remove"))
    assert not TOTPDevice.objects.filter(user__username="paramedic").exists()
    assert client.get("/people/").status_code == 200  # not sent to verify a removed factor
    assert "A second factor is optional for your role" in body(client.get(reverse("account")))
    client.post(reverse("logout"))
    assert sign_in(client, "paramedic")["Location"] == reverse("home")
    assert AuditEvent.objects.filter(detail="authenticator app removed").exists()


def test_the_admin_pages_of_accounts_open(client, county_pw):
    admin = User.objects.get(username="admin")
    admin.is_superuser = True
    admin.save()
    services.issue_token(admin)
    for _ in range(2):
        services.sign_in_failed("officer")
    client.force_login(admin)
    for name in (
        "agencies_mfarequirement",
        "agencies_apitoken",
        "agencies_signinthrottle",
        "agencies_passkey",
        "agencies_user",
    ):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:agencies_mfarequirement_add")).status_code == 200
    assert client.get(reverse("admin:agencies_apitoken_add")).status_code == 403  # never made here
    # Nobody reads an authenticator key or a backup code in the admin.
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_a_session_ends_after_one_shift_however_active(client, county_pw, settings):
    sign_in(client, "deputy")
    session = client.session
    session["coresponse_signed_in_at"] -= settings.SESSION_COOKIE_AGE + 1
    session.save()
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=%2Fpeople%2F"
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", detail="session ended after 8 hours").exists()


def test_the_session_checks_cost_no_query_on_an_ordinary_request(client, county_pw, settings):
    """The idle lock and the second-factor check read the session the request loads anyway."""
    sign_in(client, "clinician")
    client.get("/people/")
    with CaptureQueriesContext(connection) as with_checks:
        assert client.get("/people/").status_code == 200
    settings.MIDDLEWARE = [
        m
        for m in settings.MIDDLEWARE
        if not m.startswith(("coresponse.web.session_security", "django_otp"))
    ]
    with CaptureQueriesContext(connection) as without:
        assert client.get("/people/").status_code == 200
    assert len(with_checks.captured_queries) == len(without.captured_queries)


def test_a_role_can_be_exempt_from_the_idle_lock(client, county_pw, settings):
    """CJIS allows it for dispatch consoles in a physically secure PSAP."""
    settings.CORESPONSE_IDLE_LOCK_EXEMPT_ROLES = {"dispatcher"}
    for username, locks in (("dispatcher", False), ("officer", True)):
        client.post(reverse("logout"))
        sign_in(client, username)
        page = body(client.get(reverse("home")))
        assert ('data-idle-seconds="0"' in page) is not locks
        session = client.session
        session[LAST_SEEN] = time.time() - 31 * 60
        session.save()
        assert (client.get("/calls/").status_code == 302) is locks, username
