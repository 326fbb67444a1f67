"""Clerical review of identity links: the queue of uncertain pairs, one pair side by side, one
human's records (to split a cluster). Thin: reads through review_selectors (on the privacy
selectors), writes through people.services, every decision written to the audit chain.

With htmx a decision swaps the next pair in place, so a reviewer clears the queue from the
keyboard (Y same person, N different people, S skip); without JavaScript the same forms post
and redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coresponse.people import services
from coresponse.people.models import LinkStatus
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction, Purpose
from coresponse.privacy.services import record
from coresponse.web import review_selectors as selectors

DECISIONS = {"same": LinkStatus.CONFIRMED, "different": LinkStatus.REJECTED}
SKIPPED = "review_skipped"  # session key: pairs skipped in this sitting


def _reviewer(request):
    if not selectors.may_review(request.user):
        raise Http404("No page here")


def _skipped(request) -> list[int]:
    return [int(pk) for pk in request.session.get(SKIPPED, [])][-200:]


def _queue_context(request, after=None):
    skipped = _skipped(request)
    link = selectors.next_link(request.user, after=after, skipped=skipped)
    if link is None and skipped:  # only skipped pairs are left: start over with them
        request.session[SKIPPED] = []
        link = selectors.next_link(request.user, after=after)
    pair = selectors.pair_view(request.user, link.pk) if link else None
    return {"pair": pair, "counts": selectors.queue_counts(request.user)}


@login_required
def queue(request):
    _reviewer(request)
    return render(request, "web/review/queue.html", _queue_context(request))


@login_required
def pair(request, pk):
    _reviewer(request)
    view = selectors.pair_view(request.user, pk)
    return render(
        request,
        "web/review/pair.html",
        {"pair": view, "counts": selectors.queue_counts(request.user), "standalone": True},
    )


def _audit_decision(user, link, decision: str) -> None:
    record(
        user,
        AuditAction.WRITE,
        object_type="identity_link",
        object_id=link.pk,
        categories=[DataCategory.IDENTITY],
        detail=f"identity review: records {link.person_a_id} and {link.person_b_id} "
        + ("are the same person" if decision == LinkStatus.CONFIRMED else "are different people"),
        person_ids=[link.person_a_id, link.person_b_id],
        purpose=Purpose.OPERATIONS,
    )


@login_required
@require_POST
def decide(request, pk):
    """Confirm, reject or skip one pair; then the next pair of the queue."""
    _reviewer(request)
    view = selectors.pair_view(request.user, pk)
    choice = request.POST.get("decision", "")
    if choice == "skip":
        request.session[SKIPPED] = [*_skipped(request), view.link.pk]
        note = "Skipped: the pair stays in the queue."
    elif choice in DECISIONS:
        link = services.decide(view.link, DECISIONS[choice], request.user)
        _audit_decision(request.user, link, link.status)
        note = (
            "Confirmed: the two records now count as one person."
            if link.status == LinkStatus.CONFIRMED
            else "Rejected: the two records stay two people, and later runs keep them apart."
        )
    else:
        context = {"pair": view, "error": True, "standalone": True}
        context["counts"] = selectors.queue_counts(request.user)
        return render(request, "web/review/pair.html", context, status=400)
    if request.POST.get("back") == "cluster":
        messages.success(request, note)
        return redirect("review_cluster", view.link.person_a_id)
    if request.headers.get("HX-Request"):
        context = _queue_context(request, after=view.link.pk)
        context["note"] = note
        return render(request, "web/review/_pair.html", {**context, "swap": True})
    messages.success(request, note)
    return redirect("review_queue")


@login_required
def cluster(request, pk):
    view = selectors.cluster_view(request.user, pk)
    return render(request, "web/review/cluster.html", {"cluster": view})


@login_required
@require_POST
def split(request, pk):
    """Split the chosen records off the cluster: they are a different person from the rest."""
    view = selectors.cluster_view(request.user, pk)
    shown = {m.person.pk for m in view.members if m.person is not None}
    chosen = {int(v) for v in request.POST.getlist("move") if v.isdigit()} & shown
    if not chosen or chosen == shown:
        messages.error(request, "Choose some, but not all, of the records to split off.")
        return redirect("review_cluster", pk)
    cluster_ids = shown | {m.person.pk for m in view.members if m.person}
    changed = services.split(cluster_ids, chosen, request.user)
    for link in changed:
        _audit_decision(request.user, link, LinkStatus.REJECTED)
    count = len(chosen)
    messages.success(
        request,
        f"Split off {count} record{'s' if count != 1 else ''}: "
        f"{len(changed)} link{'s' if len(changed) != 1 else ''} rejected.",
    )
    keep = min(shown - chosen)
    return redirect(reverse("review_cluster", args=[keep]))
