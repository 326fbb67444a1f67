"""The installable field app under /field/ (docs/field-app.md): its shell page, web manifest
and service worker, and the staff pages where a person reconciles a record that was changed on
the phone and on the server at once.

The shell holds no person data and is the same for every user, so the service worker may keep
it: the app itself (static/field/field.js) reads everything through the API, keeps what it
needs on the phone (IndexedDB) and queues its writes until the network returns.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from coresponse.field import selectors, services
from coresponse.field.models import ConflictStatus

# The files the first load fetches and the service worker keeps (static paths).
ASSETS = (
    "web/app.css",
    "field/field.css",
    "field/field.js",
    "field/icon.svg",
    "field/icon-192.png",
)
THEME = "#0f2a3d"


def _version() -> str:
    """A fingerprint of the shell, the worker and the assets: a new one makes every phone
    fetch the new app once (and drop the old cache)."""
    sha = hashlib.blake2b(digest_size=8)
    for name in ("field/app.html", "field/sw.js"):
        sha.update(get_template(name).template.source.encode())
    for path in ASSETS:
        found = finders.find(path)
        if found:
            with open(found, "rb") as handle:
                sha.update(handle.read())
    return sha.hexdigest()


def precache() -> list[str]:
    return [reverse("field_app:app"), reverse("field_app:manifest"), *(static(a) for a in ASSETS)]


def _alert_url() -> str:
    """The crisis alert lookup (interop's); blank where it is not served."""
    try:
        return reverse("api:alert_lookup")
    except NoReverseMatch:
        return ""


@login_required
@ensure_csrf_cookie
@require_GET
def app(request):
    """The app shell. The CSRF cookie is set so the app can send its writes."""
    response = render(
        request,
        "field/app.html",
        {
            "api": {
                "profile": reverse("api:field-profile"),
                "work": reverse("api:field-work"),
                "records": reverse("api:field-records"),
                "resources": reverse("api:care-resources"),
                "outreach": reverse("api:field-outreach"),
                "status": reverse("api:field-status", args=["0"]).replace("/0/", "/{id}/"),
                "record": reverse("api:field-record", args=["0"]).replace("/0/", "/{id}/"),
                "alert": _alert_url(),
            },
        },
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    body = get_template("field/sw.js").render(
        {
            "version": _version(),
            "shell": reverse("field_app:app"),
            "precache": json.dumps(precache()),
        }
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("field_app:app")
    return response


@require_GET
def manifest(request):
    start = reverse("field_app:app")
    data = {
        "id": start,
        "name": "Coresponse Field",
        "short_name": "Field",
        "description": "The team's call, status buttons and encounter records, offline too.",
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f5f6",
        "theme_color": THEME,
        "icons": [
            {"src": static("field/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {
                "src": static("field/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any maskable",
            },
        ],
    }
    response = HttpResponse(json.dumps(data), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@never_cache
def conflict_list(request):
    conflicts = list(selectors.open_conflicts(request.user))
    return render(request, "field/conflict_list.html", {"conflicts": conflicts})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def reconcile(request, pk):
    conflict = selectors.conflict_for(request.user, pk)
    errors = {}
    if request.method == "POST" and conflict.status == ConflictStatus.OPEN:
        choices = {k: request.POST.get(f"keep-{k}", "") for k in conflict.fields}
        try:
            outcome = services.reconcile(request.user, conflict, choices)
        except PermissionDenied as error:
            messages.error(request, str(error))
        except ValidationError as error:
            errors = error.message_dict
        else:
            if isinstance(outcome, services.Conflicted):
                messages.warning(
                    request,
                    "The record changed on the server again while you looked: here it is as it "
                    "stands now. Choose again.",
                )
            else:
                messages.success(
                    request,
                    f"Reconciled: encounter {outcome.encounter.external_id} is now version "
                    f"{outcome.encounter.version}. The phone picks it up at its next sync.",
                )
                return redirect("field_app:reconcile", pk=conflict.pk)
        conflict.refresh_from_db()
    rows = selectors.conflict_rows(request.user, conflict)
    return render(
        request,
        "field/reconcile.html",
        {
            "conflict": conflict,
            "rows": rows,
            "errors": errors,
            "may": services.may_reconcile(request.user, conflict),
            "open": conflict.status == ConflictStatus.OPEN,
        },
    )
