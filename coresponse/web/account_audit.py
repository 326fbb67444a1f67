"""Sign-in, sign-out, failed sign-ins, lockouts and account changes, to the audit chain.

Connected in `WebConfig.ready`. Django announces sign-ins and failures (`user_logged_in`,
`user_login_failed`, `user_logged_out`); the account services of `agencies`, which sits below
the privacy layer, announce their changes on `agencies.signals.account_event`. A password is
never written anywhere: a failed sign-in names the account (by id) only when it exists.
"""

from __future__ import annotations

from coresponse.agencies import services
from coresponse.agencies.models import User
from coresponse.privacy.services import record
from coresponse.web.session_security import session_started


def logged_in(sender, request, user, **kwargs):
    method = getattr(request, "sign_in_method", "password") if request is not None else ""
    record(user, "login", object_type="user", object_id=user.pk, detail=f"signed in ({method})")
    services.sign_in_succeeded(user.username)
    if request is not None and hasattr(request, "session"):
        session_started(request, user)


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        detail = getattr(request, "sign_out_reason", "signed out") if request else "signed out"
        record(user, "logout", object_type="user", object_id=user.pk, detail=detail)


def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    user = User.objects.filter(username=username).only("pk").first() if username else None
    object_id = user.pk if user else ""
    if services.locked_until(username) is not None:
        record(None, "login_failed", "user", object_id, detail="refused: locked out")
        return
    detail = "wrong password" if user else "unknown username"
    record(None, "login_failed", "user", object_id, detail=detail)
    services.sign_in_failed(username)


def second_factor_failed(user: User, what: str) -> services.Failure:
    """A wrong code or passkey at the second step counts toward the lockout like a password."""
    record(None, "login_failed", "user", user.pk, detail=f"wrong {what}")
    return services.sign_in_failed(user.username)


def account_event(sender, actor, action, object_type, object_id, detail, **kwargs):
    record(actor, action, object_type=object_type, object_id=object_id, detail=detail)
