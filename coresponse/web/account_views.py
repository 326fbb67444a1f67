"""Your account: second factors (authenticator app, passkeys, backup codes), password, API
tokens, recent sign-ins; and the lock screen. Every change is audited by the services.

Every page here is about the signed-in user's own account, so every role reaches the same
pages and no one reaches another's: a token or passkey id of someone else answers 404.
"""

from __future__ import annotations

import base64
import json

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from coresponse.agencies import passkeys, services
from coresponse.agencies.models import ApiToken
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.selectors import memberships
from coresponse.privacy.services import record
from coresponse.web import session_security
from coresponse.web.views import locked_message, safe_next

ENROLLING = "coresponse_totp_enrolling"  # id of the unconfirmed authenticator-app key
REGISTERING = "coresponse_passkey_registration"  # the registration challenge, hex


def _next(request) -> str:
    return safe_next(request, reverse("account"))


def _verified_now(request, device) -> None:
    """A first second factor also verifies the session that made it."""
    if not request.user.is_verified():
        otp_login(request, device)
    session_security.factors_changed(request, request.user)


def _sign_in_history(user, limit: int = 8):
    return (
        AuditEvent.objects.filter(
            object_type="user", object_id=str(user.pk), action__in=["login", "login_failed"]
        )
        .order_by("-id")
        .only("at", "action", "detail")[:limit]
    )


@never_cache
@login_required
def account(request):
    user = request.user
    context = {
        "memberships": memberships(user),
        "totp": services.totp_device(user),
        "passkeys": list(user.passkey_set.filter(confirmed=True)),
        "backup_left": services.backup_codes_left(user),
        "tokens": list(services.active_tokens(user)),
        "history": list(_sign_in_history(user)),
        "factors": services.second_factors(user),
        "idle_minutes": session_security.idle_seconds() / 60,
    }
    return render(request, "web/account/account.html", context)


@never_cache
@login_required
def setup(request):
    """Choose a second factor: where a user whose role requires one lands after the password."""
    factors = services.second_factors(request.user)
    context = {
        "factors": factors,
        "next": _next(request),
        "totp": services.totp_device(request.user),
        "passkeys": list(request.user.passkey_set.filter(confirmed=True)),
    }
    return render(request, "web/account/setup.html", context)


def _qr_svg(device: TOTPDevice) -> str:
    qr = segno.make(device.config_url, error="m")
    return mark_safe(  # noqa: S308 - segno's own SVG of our own otpauth URL
        qr.svg_inline(
            scale=4,
            border=3,
            dark="#14232e",
            light="#ffffff",
            svgclass="qr",
            omitsize=True,
            title="QR code for your authenticator app",
        )
    )


def _grouped(secret_b32: str) -> str:
    return " ".join(secret_b32[i : i + 4] for i in range(0, len(secret_b32), 4))


@never_cache
@login_required
def totp(request):
    """Add an authenticator app: scan the QR code (or type the key), then type one code."""
    user = request.user
    device = TOTPDevice.objects.filter(
        user=user, confirmed=False, pk=request.session.get(ENROLLING) or 0
    ).first()
    if device is None:
        device = services.start_totp(user)
        request.session[ENROLLING] = device.pk
    error = ""
    if request.method == "POST":
        if services.confirm_totp(user, device, request.POST.get("code", "")):
            request.session.pop(ENROLLING, None)
            _verified_now(request, device)
            messages.success(request, "Your authenticator app is set up.")
            if services.backup_codes_left(user) == 0:
                return _show_backup_codes(request, first=True)
            return redirect(_next(request))
        error = "That code is not right. Type the six digits the app shows now."
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "qr": _qr_svg(device),
        "secret": _grouped(secret),
        "error": error,
        "next": _next(request),
        "replacing": services.totp_device(user) is not None,
    }
    return render(request, "web/account/totp.html", context, status=400 if error else 200)


def _keeps_a_factor(user, *, removing: str, passkey_id: int | None = None) -> bool:
    """Whether a user whose role requires a second factor still has one after a removal."""
    if not services.second_factors(user).required:
        return True
    has_totp = removing != "totp" and services.totp_device(user) is not None
    others = user.passkey_set.filter(confirmed=True)
    if passkey_id is not None:
        others = others.exclude(pk=passkey_id)
    return has_totp or others.exists()


@require_POST
@login_required
def totp_remove(request):
    if not _keeps_a_factor(request.user, removing="totp"):
        messages.error(
            request, "Your role requires a second factor: add a passkey before removing the app."
        )
    elif services.remove_totp(request.user, actor=request.user):
        session_security.factors_changed(request, request.user)
        messages.success(request, "The authenticator app is removed.")
    return redirect("account")


@require_POST
@login_required
def passkey_options(request):
    options, challenge = passkeys.registration_options(
        request.user, passkeys.RelyingParty.for_request(request)
    )
    request.session[REGISTERING] = challenge.hex()
    return HttpResponse(options, content_type="application/json")


@require_POST
@login_required
def passkey_register(request):
    challenge = request.session.pop(REGISTERING, None)
    try:
        body = json.loads(request.body)
        credential, name = body["credential"], str(body.get("name", ""))
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "The passkey's answer could not be read."}, status=400)
    if challenge is None:
        return JsonResponse({"error": "Start again: the request expired."}, status=400)
    try:
        passkey = passkeys.register(
            request.user,
            passkeys.RelyingParty.for_request(request),
            credential,
            bytes.fromhex(challenge),
            name,
        )
    except passkeys.PasskeyError as error:
        return JsonResponse({"error": str(error)}, status=400)
    _verified_now(request, passkey)
    messages.success(request, f"Passkey “{passkey.name}” added.")
    if services.backup_codes_left(request.user) == 0:
        redirect_to = reverse("account_backup_codes") + "?first=1"
    else:
        redirect_to = _next(request)
    return JsonResponse({"redirect": redirect_to})


@require_POST
@login_required
def passkey_remove(request, pk: int):
    if not request.user.passkey_set.filter(pk=pk).exists():
        raise Http404
    if not _keeps_a_factor(request.user, removing="passkey", passkey_id=pk):
        messages.error(
            request, "Your role requires a second factor: add another before removing this one."
        )
    elif services.remove_passkey(request.user, pk, actor=request.user):
        session_security.factors_changed(request, request.user)
        messages.success(request, "The passkey is removed.")
    return redirect("account")


def _show_backup_codes(request, *, first: bool):
    codes = services.new_backup_codes(request.user)
    context = {"codes": codes, "first": first, "next": _next(request)}
    response = render(request, "web/account/backup_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def backup_codes(request):
    """GET explains (and, right after a first second factor, makes the first set); POST makes
    a new set, shown once, which replaces the old one."""
    if request.method == "POST":
        return _show_backup_codes(request, first=False)
    if request.GET.get("first") and services.backup_codes_left(request.user) == 0:
        return _show_backup_codes(request, first=True)
    return render(
        request,
        "web/account/backup_codes.html",
        {"left": services.backup_codes_left(request.user), "next": _next(request)},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/account/password.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session signed in
        record(
            self.request.user, "account", "user", self.request.user.pk, detail="password changed"
        )
        messages.success(self.request, "Your password is changed.")
        return response


@require_POST
@login_required
def token_revoke(request, pk: int):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    if services.revoke_token(token, actor=request.user):
        messages.success(request, f"Token {token.prefix}… is revoked.")
    return redirect("account")


@never_cache
def lock(request):
    """The lock screen: no data, the user's name, and the password to go on where they were."""
    if not request.user.is_authenticated:
        return redirect("login")
    user = request.user
    if request.method == "GET" and not request.session.get(session_security.LOCKED):
        reason = "locked in the browser after no activity"
        if request.GET.get("by") == "user":
            reason = "locked by the user"
        session_security.lock_session(request, reason)
    error, signed_out = "", False
    if request.method == "POST":
        password = request.POST.get("password", "")
        checked = authenticate(request, username=user.username, password=password)
        if checked is not None and checked.pk == user.pk:
            session_security.unlock_session(request)
            update_session_auth_hash(request, checked)  # a re-hashed password keeps the session
            services.sign_in_succeeded(user.username)
            record(user, "login", "user", user.pk, detail="unlocked the session (password)")
            return redirect(safe_next(request))
        until = services.locked_until(user.username)
        if until is not None:
            logout(request)
            error, signed_out = locked_message(until), True
        else:
            error = "That password is not right."
    context = {
        "locked_user": user if not signed_out else None,
        "error": error,
        "signed_out": signed_out,
        "next": safe_next(request) if not signed_out else "",
    }
    return render(request, "web/account/lock.html", context, status=400 if error else 200)


@require_GET
def session_alive(request):
    """The browser's sign of activity on a page that sends no requests (typing, scrolling):
    the middleware has noted the time; 401 once the session is gone or locked."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Not signed in.", "code": "signed_out"}, status=401)
    return HttpResponse(status=204)
