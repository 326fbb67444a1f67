"""Account writes: users, the sign-in lockout, second factors and personal API tokens.

Each change is announced on `agencies.signals.account_event`, which the shell writes to the
audit chain in the same transaction (agencies sits below privacy and cannot write it itself).
docs/security.md describes the rules these functions keep.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coresponse.agencies.models import (
    Agency,
    ApiToken,
    Membership,
    MfaRequirement,
    Passkey,
    Role,
    SignInThrottle,
    User,
)
from coresponse.agencies.signals import announce

# --- users ---------------------------------------------------------------------------------------


@transaction.atomic
def create_user(
    username: str,
    password: str,
    *,
    agency_external_id: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor=None,
) -> User:
    """A new account with one membership. Raises ValidationError with every problem found
    (unknown agency or role, a taken or malformed username, a password the validators refuse)."""
    problems: list[str] = []
    agency = Agency.objects.filter(external_id=agency_external_id).first()
    if agency is None:
        known = ", ".join(
            Agency.objects.order_by("external_id").values_list("external_id", flat=True)
        )
        problems.append(f"no agency with id {agency_external_id!r} (known: {known or 'none yet'})")
    if role not in Role.values:
        problems.append(f"unknown role {role!r}; one of: {', '.join(Role.values)}")
    try:
        User.username_validator(username)
    except ValidationError as error:
        problems.extend(f"username: {m}" for m in error.messages)
    if User.objects.filter(username=username).exists():
        problems.append(f"a user named {username!r} already exists")
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        problems.extend(f"password: {m}" for m in error.messages)
    if problems:
        raise ValidationError(problems)
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, agency=agency, role=role)
    announce(
        create_user,
        actor,
        "user",
        user.pk,
        f"account {username} created: {Role(role).label} at {agency.external_id}",
    )
    return user


# --- the sign-in lockout -------------------------------------------------------------------------


def _digest(username: str) -> str:
    return salted_hmac("coresponse.sign-in-throttle", username, algorithm="sha256").hexdigest()


def lockout_period() -> timedelta:
    return timedelta(minutes=settings.CORESPONSE_LOCKOUT_MINUTES)


def locked_until(username: str) -> datetime | None:
    """When the lock on this username ends, or None if it may try to sign in now."""
    until = (
        SignInThrottle.objects.filter(digest=_digest(username))
        .values_list("locked_until", flat=True)
        .first()
    )
    return until if until is not None and until > timezone.now() else None


@dataclass(frozen=True)
class Failure:
    failures: int
    locked_until: datetime | None
    just_locked: bool


@transaction.atomic
def sign_in_failed(username: str) -> Failure:
    """Count a failed password, second-factor code or unlock under `username`; the
    CORESPONSE_LOCKOUT_ATTEMPTS-th consecutive one locks it for the lockout period. Failures
    further apart than that period are not consecutive: the count starts again."""
    now = timezone.now()
    throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(
        digest=_digest(username),
        defaults={"user": User.objects.filter(username=username).first()},
    )
    if throttle.locked_until is not None and throttle.locked_until > now:
        return Failure(throttle.failures, throttle.locked_until, False)
    if throttle.last_failure_at is None or now - throttle.last_failure_at > lockout_period():
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    just_locked = throttle.failures >= settings.CORESPONSE_LOCKOUT_ATTEMPTS
    if just_locked:
        throttle.locked_until = now + lockout_period()
    throttle.save()
    if just_locked:
        announce(
            sign_in_failed,
            None,
            "user",
            throttle.user_id or "",
            f"locked out after {throttle.failures} failed sign-ins, until "
            f"{timezone.localtime(throttle.locked_until):%Y-%m-%d %H:%M %Z}"
            + ("" if throttle.user_id else " (no such account)"),
        )
    return Failure(throttle.failures, throttle.locked_until, just_locked)


def sign_in_succeeded(username: str) -> None:
    SignInThrottle.objects.filter(digest=_digest(username)).delete()


@transaction.atomic
def unlock(user: User, actor=None) -> bool:
    """An administrator lifts the lock (and the failure count) of an account."""
    deleted, _ = SignInThrottle.objects.filter(digest=_digest(user.username)).delete()
    if deleted:
        announce(unlock, actor, "user", user.pk, f"sign-in of {user.username} unlocked")
    return bool(deleted)


# --- second factors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactors:
    required: bool  # a role of theirs must use one
    enrolled: bool  # they have an authenticator app or a passkey

    @property
    def needed(self) -> bool:
        """Whether a session of theirs must be verified with a second factor."""
        return self.required or self.enrolled


def second_factors(user: User) -> SecondFactors:
    """In one query: must this user use a second factor, and do they have one?"""
    required = Membership.objects.filter(user=OuterRef("pk")).filter(
        Exists(MfaRequirement.objects.filter(agency=OuterRef("agency"), role=OuterRef("role")))
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            mfa_required=Exists(required),
            has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            has_passkey=Exists(Passkey.objects.filter(user=OuterRef("pk"), confirmed=True)),
        )
        .values("mfa_required", "has_totp", "has_passkey")
        .first()
    )
    if row is None:
        return SecondFactors(False, False)
    return SecondFactors(bool(row["mfa_required"]), bool(row["has_totp"] or row["has_passkey"]))


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


@transaction.atomic
def start_totp(user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app key for the enrolment page (replacing any earlier
    unconfirmed one); it counts only once a code from the app confirms it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_totp(user: User, device: TOTPDevice, code: str) -> bool:
    """Confirm an enrolment with a code from the app; the app replaces an earlier one."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(_code(code)):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    announce(confirm_totp, user, "user", user.pk, "authenticator app added")
    return True


def verify_totp(user: User, code: str) -> TOTPDevice | None:
    device = totp_device(user)
    if device is not None and device.verify_token(_code(code)):
        return device
    return None


@transaction.atomic
def remove_totp(user: User, actor) -> bool:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        announce(remove_totp, actor, "user", user.pk, "authenticator app removed")
    return bool(deleted)


def _code(code: str) -> str:
    return "".join(code.split())


BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _backup_digest(user: User, code: str) -> str:
    """Backup codes are kept as keyed hashes (16 hex characters fit django-otp's token field);
    the codes themselves are shown once and never stored."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return salted_hmac("coresponse.backup-code", f"{user.pk}:{normal}").hexdigest()[:16]


@transaction.atomic
def new_backup_codes(user: User, actor=None) -> list[str]:
    """Ten fresh one-time codes (each 10 characters, about 50 bits); earlier codes stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
        for _ in range(BACKUP_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_backup_digest(user, c)) for c in codes
    )
    announce(new_backup_codes, actor or user, "user", user.pk, "new backup codes made")
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def use_backup_code(user: User, code: str) -> StaticDevice | None:
    """The backup-code device if `code` is one of the user's unused codes (it is used up)."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(_backup_digest(user, code)):
        return None
    announce(
        use_backup_code,
        user,
        "user",
        user.pk,
        f"signed in with a backup code ({backup_codes_left(user)} left)",
    )
    return device


@transaction.atomic
def remove_passkey(user: User, passkey_id: int, actor) -> bool:
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return False
    passkey.delete()
    announce(remove_passkey, actor, "user", user.pk, f"passkey {passkey.name!r} removed")
    return True


@transaction.atomic
def reset_second_factors(user: User, actor) -> None:
    """An administrator removes every second factor of a user who lost them; if a role of
    theirs requires one, they enrol again at their next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    announce(reset_second_factors, actor, "user", user.pk, "every second factor removed")


# --- personal API tokens -------------------------------------------------------------------------

TOKEN_PREFIX = "crt_"


class TokenRejected(Exception):
    """The bearer token is unknown, expired or revoked (or its user is inactive)."""


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_lifetime(hours: float | None) -> timedelta:
    """The lifetime asked for, or the default; ValueError past the maximum."""
    maximum = settings.CORESPONSE_API_TOKEN_MAX_HOURS
    hours = settings.CORESPONSE_API_TOKEN_HOURS if hours is None else hours
    if not 0 < hours <= maximum:
        raise ValueError(f"a token lives more than 0 and at most {maximum} hours, not {hours:g}")
    return timedelta(hours=hours)


@transaction.atomic
def issue_token(
    user: User, *, hours: float | None = None, label: str = "", actor=None
) -> tuple[str, ApiToken]:
    """A new token for `user`: returns the token itself (shown once, never stored) and its
    record. Raises ValueError for a lifetime past the maximum or an inactive user."""
    if not user.is_active:
        raise ValueError(f"{user.username} is not active: a token would not authenticate")
    now = timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        prefix=raw[:12],
        digest=_token_digest(raw),
        label=label[:100],
        created_at=now,
        expires_at=now + token_lifetime(hours),
    )
    announce(
        issue_token,
        actor,
        "api_token",
        token.pk,
        f"token {token.prefix}… for {user.username}, valid until "
        f"{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M %Z}",
    )
    return raw, token


def user_for_token(raw: str) -> tuple[User, ApiToken]:
    """The user a bearer token authenticates; TokenRejected if it does not."""
    token = (
        ApiToken.objects.select_related("user").filter(digest=_token_digest(raw)).first()
        if raw.startswith(TOKEN_PREFIX)
        else None
    )
    now = timezone.now()
    if token is None:
        raise TokenRejected("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRejected("Token revoked.")
    if token.expires_at <= now:
        raise TokenRejected("Token expired.")
    if not token.user.is_active:
        raise TokenRejected("User inactive or deleted.")
    # When it was last used, to the minute: one write a minute at most, not one a request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


def active_tokens(user: User):
    return ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=timezone.now())


@transaction.atomic
def revoke_token(token: ApiToken, actor) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    announce(
        revoke_token,
        actor,
        "api_token",
        token.pk,
        f"token {token.prefix}… of {token.user.username} revoked",
    )
    return True


@transaction.atomic
def revoke_all_tokens(user: User, actor) -> int:
    count = 0
    for token in active_tokens(user).select_for_update():
        count += revoke_token(token, actor)
    return count
