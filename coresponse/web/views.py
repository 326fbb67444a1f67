"""The shell: sign-in and each role's home page. Thin: every read is a selector.

Sign-in is two steps when the account has a second factor: the password (`SignInView`), then
a code from the authenticator app, a backup code or a passkey (`verify`); only then is the
session signed in. docs/security.md has the whole flow.
"""

import json
import time

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.defaults import page_not_found
from django_otp import login as otp_login

from coresponse.agencies import passkeys, services
from coresponse.agencies.models import Role, User
from coresponse.dispatch import board_views
from coresponse.dispatch.selectors import as_of
from coresponse.privacy.services import record
from coresponse.web import selectors
from coresponse.web.account_audit import second_factor_failed
from coresponse.web.session_security import with_next

PENDING = "coresponse_pending_sign_in"  # {"user": id, "backend": path, "at": epoch}
PENDING_SECONDS = 5 * 60  # the second step must follow the password within five minutes
CHALLENGE = "coresponse_passkey_challenge"


def locked_message(until) -> str:
    return (
        "Too many failed sign-ins: this account is locked until "
        f"{timezone.localtime(until):%H:%M}. Try again then, or ask an administrator to "
        "unlock it."
    )


class SignInForm(AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            until = services.locked_until(self.cleaned_data.get("username") or "")
            if until is not None:
                raise ValidationError(locked_message(until), code="locked") from None
            raise


class SignInView(auth_views.LoginView):
    """The password step, below the system-use notice."""

    template_name = "web/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            system_use_notice=settings.CORESPONSE_SYSTEM_USE_NOTICE, **kwargs
        )

    def form_valid(self, form):
        user = form.get_user()
        if services.second_factors(user).enrolled:
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
            }
            return redirect(with_next(reverse("login_verify"), self.get_success_url()))
        # No second factor yet: signed in; if a role requires one, the enrolment comes next.
        self.request.sign_in_method = "password"
        return super().form_valid(form)


def safe_next(request, fallback: str = "") -> str:
    """The ?next= (or posted next) if it stays on this site, else `fallback` or home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback or reverse("home")


def _second_step_user(request):
    """Whom the second step is for: the account whose password was just typed, or a signed-in
    session not yet verified (a role began requiring a second factor)."""
    pending = request.session.get(PENDING)
    if pending and time.time() - pending["at"] < PENDING_SECONDS:
        return User.objects.filter(pk=pending["user"], is_active=True).first()
    if request.user.is_authenticated and not request.user.is_verified():
        return request.user
    return None


def _complete_sign_in(request, user, device, method: str) -> None:
    pending = request.session.pop(PENDING, None)
    if request.user.is_authenticated and request.user.pk == user.pk:
        record(user, "login", "user", user.pk, detail=f"second factor verified ({method})")
        services.sign_in_succeeded(user.username)
    else:
        request.sign_in_method = f"password + {method}"
        backend = pending["backend"] if pending else request.session.get(BACKEND_SESSION_KEY)
        login(request, user, backend=backend)
    otp_login(request, device)


@never_cache
def verify(request):
    """The second step: a code from the authenticator app, a backup code, or a passkey."""
    user = _second_step_user(request)
    if user is None:
        return redirect("login")
    next_url = safe_next(request)
    error = ""
    until = services.locked_until(user.username)
    if until is not None:
        request.session.pop(PENDING, None)
        error = locked_message(until)
    elif request.method == "POST":
        code = "".join(request.POST.get("code", "").split())
        backup = not (code.isdigit() and len(code) <= 8)  # an app's code is 6 digits
        device = (
            services.use_backup_code(user, code) if backup else services.verify_totp(user, code)
        )
        method = "backup code" if backup else "authenticator app"
        if device is not None:
            _complete_sign_in(request, user, device, method)
            return redirect(next_url)
        failure = second_factor_failed(user, "backup code" if backup else "authenticator code")
        if failure.locked_until is not None:
            request.session.pop(PENDING, None)
            error = locked_message(failure.locked_until)
        else:
            error = (
                "That code is not right. Codes change every 30 seconds: type the one your app "
                "shows now, or a backup code."
            )
    has_totp = services.totp_device(user) is not None
    has_passkey = user.passkey_set.filter(confirmed=True).exists()
    has_backup = services.backup_codes_left(user) > 0
    if not (has_totp or has_passkey or has_backup) and request.user.is_authenticated:
        return redirect(with_next(reverse("account_setup"), next_url))  # nothing to verify with
    context = {
        "subject": user,
        "next": next_url,
        "error": error,
        "locked": until is not None or "locked until" in error,
        "has_totp": has_totp,
        "has_passkey": has_passkey,
        "has_backup": has_backup,
    }
    return render(request, "web/account/verify.html", context, status=400 if error else 200)


@require_POST
def verify_passkey_options(request):
    user = _second_step_user(request)
    if user is None or services.locked_until(user.username) is not None:
        return JsonResponse({"error": "Sign in with your password again."}, status=400)
    options, challenge = passkeys.authentication_options(
        user, passkeys.RelyingParty.for_request(request)
    )
    request.session[CHALLENGE] = challenge.hex()
    return HttpResponse(options, content_type="application/json")


@require_POST
def verify_passkey(request):
    user = _second_step_user(request)
    challenge = request.session.pop(CHALLENGE, None)
    if user is None or challenge is None or services.locked_until(user.username) is not None:
        return JsonResponse({"error": "Sign in with your password again."}, status=400)
    try:
        credential = json.loads(request.body)["credential"]
        passkey = passkeys.authenticate(
            user, passkeys.RelyingParty.for_request(request), credential, bytes.fromhex(challenge)
        )
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "The passkey's answer could not be read."}, status=400)
    except passkeys.PasskeyError as error:
        failure = second_factor_failed(user, "passkey")
        message = locked_message(failure.locked_until) if failure.locked_until else str(error)
        return JsonResponse({"error": message}, status=400)
    _complete_sign_in(request, user, passkey, "passkey")
    return JsonResponse({"redirect": safe_next(request)})


@login_required
def home(request):
    home = selectors.home_for(request.user, request.GET.get("as"))
    at = as_of()
    context = selectors.home_context(request.user, home, at, request.GET.get("program"))
    context.update(
        home=home,
        as_of=at,
        roles=[(r, selectors.HOMES[r].heading) for r in selectors.user_roles(request.user)],
    )
    # The live parts: a dispatcher's home is the board; a team member's shows their team's call.
    if home.role == Role.DISPATCHER:
        context["board_html"] = board_views.render_board(request)
    else:
        context["duty_html"] = board_views.render_duty(request)
    return render(request, home.template, context)


def not_found(request, exception):
    """404s: JSON under /api/ (what an API client parses), the page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
