"""What every request of a signed-in session passes through (docs/security.md).

- `IdleLockMiddleware`: after CORESPONSE_IDLE_LOCK_MINUTES without a request the session is
  locked: every page answers with the lock screen (keeping where the user was) until the
  password is typed again. Background refreshes (the board's polls, marked by idle.js) do not
  count as activity, or a screen left open would never lock.
- `SecondFactorMiddleware`: a user who has a second factor, or whose role requires one, reaches
  nothing but the sign-in, enrolment and lock pages until this session is verified with it.
- `PermissionsPolicyMiddleware`: the Permissions-Policy header (Django sets the others).
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from coresponse.agencies import services
from coresponse.privacy.services import record

LAST_SEEN = "coresponse_last_seen"
SIGNED_IN_AT = "coresponse_signed_in_at"
IDLE_EXEMPT = "coresponse_idle_exempt"  # a role of theirs never idle-locks
LOCKED = "coresponse_locked"
FACTORS = "coresponse_factors"  # [needed, enrolled, checked at]
POLL_HEADER = "X-Coresponse-Poll"
# Write the time of the last activity into the session at most this often (a session write is
# a database write); the idle lock is therefore exact to this many seconds.
TOUCH_SECONDS = 15
# Recheck whether a second factor is needed this often (an admin may have added a requirement).
FACTORS_SECONDS = 60


def idle_seconds() -> float:
    return float(settings.CORESPONSE_IDLE_LOCK_MINUTES) * 60


@functools.cache
def _open_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in ("lock", "logout", "admin:logout"))


@functools.cache
def _second_factor_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in SECOND_FACTOR_PAGES)


def _always_open(path: str) -> bool:
    """Pages a locked or not-yet-verified session may still reach."""
    return path.startswith(settings.STATIC_URL) or path in _open_paths()


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _send_to(request, url: str, code: str, detail: str):
    """Send the browser to `url`: an htmx request navigates there, an API or fetch call gets
    401 with the reason, a page load is redirected."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    if _wants_json(request):
        return JsonResponse({"detail": detail, "code": code}, status=401)
    return redirect(url)


def return_to(request) -> str:
    """Where to come back to: this page for a GET, else the page the form was on."""
    if request.method == "GET" and not request.headers.get("HX-Request"):
        target = request.get_full_path()
    else:
        target = request.headers.get("HX-Current-URL") or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("home")
    return target


def with_next(url: str, target: str) -> str:
    return f"{url}?{urlencode({'next': target})}" if target else url


def lock_session(request, reason: str) -> None:
    if not request.session.get(LOCKED):
        request.session[LOCKED] = True
        record(
            request.user,
            "account",
            object_type="user",
            object_id=request.user.pk,
            detail=f"session locked: {reason}",
        )


def unlock_session(request) -> None:
    request.session[LOCKED] = False
    request.session[LAST_SEEN] = time.time()


def session_started(request, user) -> None:
    """At sign-in: the idle clock starts, and what second factor this user needs is noted."""
    request.session[LAST_SEEN] = request.session[SIGNED_IN_AT] = time.time()
    request.session[LOCKED] = False
    exempt = set(settings.CORESPONSE_IDLE_LOCK_EXEMPT_ROLES)
    request.session[IDLE_EXEMPT] = bool(
        exempt and user.memberships.filter(role__in=exempt).exists()
    )
    factors_changed(request, user)


def factors_changed(request, user) -> None:
    """Note again what second factor this user needs (after they added or removed one)."""
    factors = services.second_factors(user)
    request.session[FACTORS] = [factors.needed, factors.enrolled, time.time()]


class IdleLockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            session, now = request.session, time.time()
            started = session.get(SIGNED_IN_AT)
            if started is not None and now - started > settings.SESSION_COOKIE_AGE:
                # A session lasts one shift however active it is: then a new sign-in.
                hours = settings.SESSION_COOKIE_AGE / 3600
                request.sign_out_reason = f"session ended after {hours:g} hours"
                logout(request)
                return _send_to(
                    request,
                    with_next(reverse("login"), return_to(request)),
                    "signed_out",
                    "The session has ended: sign in again.",
                )
            last = session.get(LAST_SEEN)
            idle = not session.get(IDLE_EXEMPT) and last is not None and now - last > idle_seconds()
            if not session.get(LOCKED) and idle:
                minutes = settings.CORESPONSE_IDLE_LOCK_MINUTES
                lock_session(request, f"{minutes:g} minutes without activity")
            if session.get(LOCKED):
                if not _always_open(request.path):
                    return _send_to(
                        request,
                        with_next(reverse("lock"), return_to(request)),
                        "session_locked",
                        "The session is locked: type your password at /lock/ to go on.",
                    )
            elif not request.headers.get(POLL_HEADER) and (
                last is None or now - last >= TOUCH_SECONDS
            ):
                session[LAST_SEEN] = now
        return self.get_response(request)


# Pages a user who must verify or enrol a second factor may reach meanwhile.
SECOND_FACTOR_PAGES = (
    "login_verify",
    "login_verify_passkey_options",
    "login_verify_passkey",
    "account_setup",
    "account_totp",
    "account_passkey_options",
    "account_passkey_register",
    "account_backup_codes",
    "session_alive",
)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and hasattr(request, "session")
            and not user.is_verified()
        ):
            needed, enrolled = self._factors(request)
            if needed and not (
                _always_open(request.path) or request.path in _second_factor_paths()
            ):
                target = return_to(request)
                if enrolled:
                    url, detail = reverse("login_verify"), "Verify your second factor first."
                else:
                    url, detail = reverse("account_setup"), "Set up a second factor first."
                return _send_to(request, with_next(url, target), "second_factor", detail)
        return self.get_response(request)

    @staticmethod
    def _factors(request) -> tuple[bool, bool]:
        cached = request.session.get(FACTORS)
        if cached and time.time() - cached[2] < FACTORS_SECONDS:
            return bool(cached[0]), bool(cached[1])
        factors = services.second_factors(request.user)
        request.session[FACTORS] = [factors.needed, factors.enrolled, time.time()]
        return factors.needed, factors.enrolled


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


def context(request) -> dict:
    """For base.html: when idle.js locks the page in the browser (0: never)."""
    session = getattr(request, "session", None)
    exempt = session is not None and session.get(IDLE_EXEMPT)
    return {"idle_lock_seconds": 0 if exempt else max(1, int(idle_seconds()))}
