"""The account services: users, the lockout, second factors, backup codes, API tokens."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coresponse.agencies import services
from coresponse.agencies.models import ApiToken, MfaRequirement, Role, SignInThrottle, User
from coresponse.agencies.tests.accounts import PASSWORD, build_accounts
from coresponse.privacy.models import AuditEvent


@pytest.fixture
def accounts(db):
    return build_accounts()


def test_create_user_hashes_with_argon2_and_is_audited(accounts):
    user = services.create_user(
        "newclin",
        "a long enough passphrase here",
        agency_external_id="cedar-bhc",
        role=Role.CLINICIAN,
        first_name="Nia",
    )
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a long enough passphrase here")
    assert [(m.agency.external_id, m.role) for m in user.memberships.all()] == [
        ("cedar-bhc", "clinician")
    ]
    event = AuditEvent.objects.get(action="account", object_id=str(user.pk))
    assert event.detail == "account newclin created: Clinician at cedar-bhc"
    assert "passphrase" not in event.detail


def test_create_user_reports_every_problem_and_writes_nothing(accounts):
    with pytest.raises(ValidationError) as caught:
        services.create_user("officer", "short", agency_external_id="nowhere", role="sheriff")
    messages = caught.value.messages
    assert messages[0] == ("no agency with id 'nowhere' (known: cedar-bhc, cedar-so, riverton-pd)")
    assert any(
        m.startswith("unknown role 'sheriff'; one of: dispatcher, officer") for m in messages
    )
    assert "a user named 'officer' already exists" in messages
    assert any("at least 15 characters" in m for m in messages)
    with pytest.raises(ValidationError, match="too common"):
        services.create_user(
            "x", "1q2w3e4r5t6y7u8i", agency_external_id="cedar-bhc", role="clinician"
        )
    with pytest.raises(ValidationError, match="too similar to the username"):
        services.create_user(
            "jordanwhitfield",
            "jordanwhitfield1",
            agency_external_id="cedar-bhc",
            role="peer_specialist",
        )
    assert User.objects.count() == 3
    assert not AuditEvent.objects.filter(action="account").exists()


def test_five_consecutive_failures_lock_the_name_for_the_cool_off(accounts, settings):
    for attempt in range(1, 5):
        failure = services.sign_in_failed("officer")
        assert failure.failures == attempt and failure.locked_until is None
    assert services.locked_until("officer") is None
    fifth = services.sign_in_failed("officer")
    assert fifth.just_locked and fifth.failures == 5
    until = services.locked_until("officer")
    expected = timezone.now() + timedelta(minutes=settings.CORESPONSE_LOCKOUT_MINUTES)
    assert abs((until - expected).total_seconds()) < 5
    # More tries while locked neither extend the lock nor count.
    assert services.sign_in_failed("officer").locked_until == until
    lockout = AuditEvent.objects.get(action="account", object_id=str(accounts.users["officer"].pk))
    assert lockout.detail.startswith("locked out after 5 failed sign-ins, until ")
    # The lock ends by itself.
    SignInThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.locked_until("officer") is None


def test_failures_far_apart_are_not_consecutive_and_success_clears(accounts):
    for _ in range(4):
        services.sign_in_failed("clinician")
    long_ago = timezone.now() - timedelta(hours=1)
    SignInThrottle.objects.update(last_failure_at=long_ago)
    assert services.sign_in_failed("clinician").failures == 1
    services.sign_in_succeeded("clinician")
    assert not SignInThrottle.objects.exists()


def test_an_unknown_name_locks_like_a_real_one_and_is_kept_only_as_a_hash(accounts):
    for _ in range(5):
        services.sign_in_failed("my secret password")
    assert services.locked_until("my secret password") is not None
    throttle = SignInThrottle.objects.get()
    assert throttle.user is None and "secret" not in throttle.digest
    assert "no such account" in AuditEvent.objects.get(action="account").detail


def test_an_administrator_unlocks(accounts):
    admin = User.objects.create(username="root", is_staff=True)
    for _ in range(5):
        services.sign_in_failed("deputy")
    assert services.unlock(accounts.users["deputy"], actor=admin)
    assert services.locked_until("deputy") is None
    event = AuditEvent.objects.filter(action="account").order_by("-id").first()
    assert event.actor == admin and event.detail == "sign-in of deputy unlocked"
    assert not services.unlock(accounts.users["deputy"], actor=admin)  # nothing to unlock


def test_a_role_requires_a_second_factor_only_at_its_agency(accounts):
    officer, deputy, clinician = (accounts.users[n] for n in ("officer", "deputy", "clinician"))
    assert services.second_factors(officer) == services.SecondFactors(False, False)
    MfaRequirement.objects.create(agency=accounts.agencies["pd"], role=Role.OFFICER)
    assert services.second_factors(officer).required
    assert not services.second_factors(deputy).required  # an officer, at another agency
    assert not services.second_factors(clinician).required
    device = services.start_totp(clinician)
    assert not services.second_factors(clinician).enrolled  # not confirmed yet
    device.confirmed = True
    device.save()
    assert services.second_factors(clinician) == services.SecondFactors(False, True)
    assert services.second_factors(clinician).needed


def test_backup_codes_are_stored_as_keyed_hashes_and_work_once(accounts, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp's own back-off would slow this test
    user = accounts.users["clinician"]
    codes = services.new_backup_codes(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert not {c.replace("-", "") for c in codes} & stored  # never the codes themselves
    assert services.use_backup_code(user, codes[3].upper()) is not None  # case and dash free
    assert services.use_backup_code(user, codes[3]) is None  # used up
    assert services.backup_codes_left(user) == 9
    assert services.use_backup_code(accounts.users["officer"], codes[4]) is None  # not theirs
    again = services.new_backup_codes(user)
    assert services.use_backup_code(user, codes[5]) is None  # the old set is gone
    assert services.use_backup_code(user, again[0]) is not None


def test_totp_enrolment_needs_a_code_from_the_app(accounts):
    from django_otp.oath import TOTP

    user = accounts.users["officer"]
    device = services.start_totp(user)
    assert not services.confirm_totp(user, device, "000000")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    code = TOTP(device.bin_key).token()
    assert services.confirm_totp(user, device, f"{code:06d}"[:3] + " " + f"{code:06d}"[3:])
    assert services.totp_device(user).pk == device.pk
    # A second enrolment replaces the first app once confirmed.
    second = services.start_totp(user)
    second_code = TOTP(second.bin_key).token()
    assert services.confirm_totp(user, second, f"{second_code:06d}")
    assert list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True)) == [second.pk]


def test_tokens_are_stored_as_hashes_expire_and_can_be_revoked(accounts, settings):
    user = accounts.users["officer"]
    raw, token = services.issue_token(user, label="CAD bridge")
    assert raw.startswith("crt_") and len(raw) > 40
    assert token.digest != raw and raw not in token.digest and token.prefix == raw[:12]
    lifetime = token.expires_at - token.created_at
    assert lifetime == timedelta(hours=settings.CORESPONSE_API_TOKEN_HOURS)
    assert services.user_for_token(raw) == (user, token)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    with pytest.raises(services.TokenRejected, match="Invalid token"):
        services.user_for_token(raw + "x")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    with pytest.raises(services.TokenRejected, match="expired"):
        services.user_for_token(raw)

    raw2, token2 = services.issue_token(user, hours=0.5)
    assert services.revoke_token(token2, actor=None)
    with pytest.raises(services.TokenRejected, match="revoked"):
        services.user_for_token(raw2)

    raw3, _ = services.issue_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(services.TokenRejected, match="inactive"):
        services.user_for_token(raw3)
    with pytest.raises(ValueError, match="not active"):
        services.issue_token(User.objects.get(pk=user.pk))

    with pytest.raises(ValueError, match="at most 24 hours, not 25"):
        services.issue_token(accounts.users["clinician"], hours=25)
    details = list(
        AuditEvent.objects.filter(object_type="api_token").values_list("detail", flat=True)
    )
    assert len(details) == 4  # three issued, one revoked; never the token itself
    assert all(raw not in d and raw2 not in d for d in details)


def test_passwords_are_checked_with_the_right_one_only(accounts):
    user = accounts.users["officer"]
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD.upper())
