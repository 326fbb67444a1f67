"""The dispatch board and a team member's duty card: pages, their live partials, and the actions.

Live: the partials are polled every second by htmx. Each response carries a fingerprint of its
HTML (`data-version`); a poll that sends the fingerprint of what is on screen gets 204 No Content
while nothing changed, so the page is not redrawn (focus and an open team list stay put) and a
change reaches every open board within the poll interval.

Actions are plain POST forms (CSRF-protected) that work without JavaScript and redirect back;
with htmx they answer with the refreshed partial. Every rule is in `services.board`.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from coresponse.agencies.models import Agency, Team
from coresponse.dispatch import selectors
from coresponse.dispatch.models import Assignment, AssignmentStatus, Handoff, HandoffState, PageOut
from coresponse.dispatch.services import board as service

# Stand-ins rendered into the partial and replaced after hashing: the per-response CSRF token
# (masked differently every time) and the fingerprint itself must not change the fingerprint.
CSRF_SLOT = "csrf-slot-4d1f0c"
VERSION_SLOT = "version-slot-9b27e3"


def _live(request, template: str, context: dict) -> tuple[str, str]:
    """Render a live partial; returns (html, fingerprint)."""
    html = render_to_string(
        template,
        {**context, "user": request.user, "csrf_slot": CSRF_SLOT, "version": VERSION_SLOT},
    )
    version = hashlib.blake2b(html.encode(), digest_size=8).hexdigest()
    html = html.replace(VERSION_SLOT, version).replace(CSRF_SLOT, get_token(request))
    return html, version


def _notice(request, name: str, *, oob: bool = False) -> str:
    """The answer to the last action, outside the polled partial so that the next poll does not
    wipe it; an htmx action sends it out of band (`hx-swap-oob`)."""
    return render_to_string(
        "dispatch/_notice.html",
        {"id": f"{name}-notice", "messages": messages.get_messages(request), "oob": oob},
    )


def _live_response(request, template: str, context: dict, name: str) -> HttpResponse:
    html, version = _live(request, template, context)
    if request.method == "GET":
        if request.GET.get("v") == version:
            return HttpResponse(status=204)
    else:
        html += _notice(request, name, oob=True)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _board_context(request, page: str | None = None) -> dict:
    """`page`: the path of the page the board is on (forms come back to it); a live poll or an
    action passes it along as `next`."""
    user = request.user
    return {
        "board": selectors.board(user),
        "may_dispatch": selectors.can_dispatch(user),
        "next": page or _next(request, reverse("home")),
    }


def _check_board(user) -> None:
    if not selectors.can_view_board(user):
        raise PermissionDenied("The dispatch board is for dispatchers and supervisors.")


def render_board(request) -> str:
    """The live board for a page of its own or a home page (the dispatcher's home embeds it)."""
    _check_board(request.user)
    html, _ = _live(request, "dispatch/_board.html", _board_context(request, request.path))
    return mark_safe(_notice(request, "board") + html)  # our own templates, autoescaped


def render_duty(request) -> str | None:
    """The live duty card of a team member, or None when the user is on no team."""
    duty = selectors.duty_for(request.user)
    if duty is None:
        return None
    html, _ = _live(request, "dispatch/_duty.html", _duty_context(request, duty, request.path))
    return mark_safe(_notice(request, "duty") + html)  # our own templates, autoescaped


def _duty_context(request, duty, page: str | None = None) -> dict:
    return {"duty": duty, "next": page or _next(request, reverse("home"))}


@login_required
@require_GET
def board(request):
    return render(
        request,
        "dispatch/board.html",
        {"board_html": render_board(request), "as_of": selectors.as_of()},
    )


@login_required
@require_GET
def board_live(request):
    _check_board(request.user)
    return _live_response(request, "dispatch/_board.html", _board_context(request), "board")


@login_required
@require_GET
def duty(request):
    return render(request, "dispatch/duty.html", {"duty_html": render_duty(request)})


@login_required
@require_GET
def duty_live(request):
    duty = selectors.duty_for(request.user)
    if duty is None:
        return HttpResponse(status=204)
    return _live_response(request, "dispatch/_duty.html", _duty_context(request, duty), "duty")


def _done(request, *, call_id=None):
    """After an action: the refreshed partial for htmx, else back where the form was."""
    view = request.POST.get("view", "board")
    if request.headers.get("HX-Request") == "true":
        if view == "duty":
            duty = selectors.duty_for(request.user)
            if duty is not None:
                context = _duty_context(request, duty)
                return _live_response(request, "dispatch/_duty.html", context, "duty")
        elif view == "board" and selectors.can_view_board(request.user):
            context = _board_context(request)
            return _live_response(request, "dispatch/_board.html", context, "board")
    if view == "call" and call_id is not None:
        return redirect("dispatch:call_detail", call_id)
    return redirect(_next(request, reverse("home")))


def _attempt(request, action, success: str) -> None:
    try:
        action()
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)


@login_required
@require_POST
def dispatch(request, call_id):
    call = selectors.call_for(request.user, call_id)
    team = Team.objects.filter(pk=_int(request.POST.get("team"))).first()
    if team is None:
        messages.error(request, "Choose a team to dispatch.")
    else:
        _attempt(
            request,
            lambda: service.dispatch_team(call, team, user=request.user),
            f"{team.name} dispatched to call {call.external_id}.",
        )
    return _done(request, call_id=call.pk)


@login_required
@require_POST
def advance(request, pk):
    assignment = get_object_or_404(Assignment.objects.select_related("team", "call"), pk=pk)
    status = request.POST.get("status", "")
    label = AssignmentStatus(status).label if status in AssignmentStatus.values else status
    _attempt(
        request,
        lambda: service.advance(assignment, status, user=request.user),
        f"{assignment.team.name}: {label.lower()} on call {assignment.call.external_id}.",
    )
    return _done(request, call_id=assignment.call_id)


@login_required
@require_POST
def acknowledge(request, pk):
    page = get_object_or_404(
        PageOut.objects.select_related("user", "assignment__call", "assignment__team"), pk=pk
    )
    _attempt(
        request,
        lambda: service.acknowledge_page(page, user=request.user),
        f"Page for call {page.assignment.call.external_id} acknowledged.",
    )
    return _done(request, call_id=page.assignment.call_id)


@login_required
@require_POST
def offer_handoff(request, call_id):
    call = selectors.call_for(request.user, call_id)
    agency = Agency.objects.filter(pk=_int(request.POST.get("to_agency"))).first()
    if agency is None:
        messages.error(request, "Choose the crisis line to hand the caller to.")
    else:
        _attempt(
            request,
            lambda: service.offer_handoff(
                call, agency, user=request.user, note=request.POST.get("note", "")
            ),
            f"Call {call.external_id} offered to {agency.name}.",
        )
    return _done(request, call_id=call.pk)


@login_required
@require_POST
def handoff_state(request, pk):
    handoff = get_object_or_404(Handoff.objects.select_related("call", "to_agency"), pk=pk)
    state = request.POST.get("state", "")
    label = HandoffState(state).label if state in HandoffState.values else state
    _attempt(
        request,
        lambda: service.set_handoff_state(handoff, state, user=request.user),
        f"Hand-off of call {handoff.call.external_id}: {label.lower()}.",
    )
    return _done(request, call_id=handoff.call_id)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
