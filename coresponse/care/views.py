"""The care pages under /care/ (docs/care.md): the follow-up worklist, referrals sent and the
receiving provider's inbox, outreach to frequent clients, safety plans and the resource
directory. Thin: reads are care.selectors, writes care.services; forms are plain POSTs that
work without JavaScript and redirect back with a message.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from coresponse.agencies.models import User
from coresponse.care import selectors, services
from coresponse.care.api import search_from
from coresponse.care.models import (
    REFERRAL_OPEN_STATUSES,
    ContactMethod,
    FollowUpOutcome,
    OutreachStatus,
    ReferralStatus,
    Reminder,
    Resource,
    SafetyPlan,
    ServiceType,
)
from coresponse.dispatch.selectors import as_of, partner_programs
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.selectors import disclose_person, memberships, person_for

C = DataCategory
PAGE_SIZE = 50
OUTREACH_PAGE = 20  # each client carries its two forms


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{m}" for ms in error.message_dict.values() for m in ms)
    return " ".join(error.messages)


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _moment(text: str) -> datetime | None:
    """A datetime-local or date field's value, in the program's zone."""
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            return None
        value = datetime.combine(day, time(10))
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _tabs(user, tab: str) -> dict:
    """The care pages' own tabs: which is current, and whether the user's agency receives
    referrals (then its inbox is a tab)."""
    return {
        "care_tab": tab,
        "care_receives": selectors.inbox(user).exists()
        or selectors.managed_resources(user).exists(),
    }


# --- follow-ups -----------------------------------------------------------------------------------


@login_required
@require_GET
def followup_list(request):
    at = as_of()
    mine_only = request.GET.get("mine") == "1"
    days = 7
    rows = selectors.worklist(request.user, at, days=days, mine_only=mine_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    (items,) = selectors.labelled(request.user, f"follow-up worklist page {page.number}", page)
    overdue = sum(1 for f in items if f.due_at < at.now)
    long_overdue = rows.filter(long_overdue=True).count()
    return render(
        request,
        "care/followup_list.html",
        {
            "page": page,
            "rows": items,
            "as_of": at,
            "mine_only": mine_only,
            "overdue_on_page": overdue,
            "long_overdue": long_overdue,
            "long_overdue_days": selectors.LONG_OVERDUE.days,
            "days": days,
            **_tabs(request.user, "followups"),
        },
    )


@login_required
def followup_detail(request, pk):
    followup = selectors.followup_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "attempt")
        try:
            if action == "assign":
                services.assign_followup(request.user, followup, request.user)
                messages.success(request, "This follow-up is yours now.")
            else:
                close = request.POST.get("close") == "1"
                services.record_attempt(
                    request.user,
                    followup,
                    method=request.POST.get("method", ""),
                    result=request.POST.get("result", ""),
                    note=request.POST.get("note", ""),
                    close=True if close else None,
                    next_due=_moment(request.POST.get("next_due", "")),
                )
                messages.success(request, "Attempt recorded.")
        except (ValidationError, PermissionDenied) as error:
            text = _error_text(error) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        return redirect("care:followup_detail", pk=followup.pk)
    (rows,) = selectors.labelled(request.user, f"follow-up {followup.external_id}", [followup])
    return render(
        request,
        "care/followup_detail.html",
        {
            "f": rows[0],
            "attempts": list(followup.attempt_log.all()),
            "methods": ContactMethod.choices,
            "results": FollowUpOutcome.choices,
            "as_of": as_of(),
            **_tabs(request.user, "followups"),
        },
    )


# --- referrals ------------------------------------------------------------------------------------


@login_required
@require_GET
def referral_list(request):
    at = as_of()
    show = request.GET.get("show", "overdue")
    rows = selectors.visible_referrals(request.user)
    if show == "overdue":
        rows = selectors.overdue_referrals(request.user, at.now).order_by("sent_at", "id")
    elif show == "open":
        rows = rows.filter(status__in=REFERRAL_OPEN_STATUSES).order_by("sent_at", "id")
    else:
        show = "closed"
        rows = rows.exclude(status__in=REFERRAL_OPEN_STATUSES).order_by("-closed_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    (items,) = selectors.labelled(request.user, f"referrals ({show}) page {page.number}", page)
    for r in items:
        r.due = selectors.due_by(r)
    return render(
        request,
        "care/referral_list.html",
        {
            "page": page,
            "rows": items,
            "show": show,
            "as_of": at,
            "overdue_count": selectors.overdue_referrals(request.user, at.now).count(),
            **_tabs(request.user, "referrals"),
        },
    )


@login_required
@require_GET
def referral_inbox(request):
    status = request.GET.get("status", "open")
    rows = selectors.inbox(request.user, status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    (items,) = selectors.labelled(request.user, f"referral inbox page {page.number}", page)
    agencies = sorted({m.agency.name for m in memberships(request.user)})
    return render(
        request,
        "care/referral_inbox.html",
        {
            "page": page,
            "rows": items,
            "status": status,
            "agencies": agencies,
            "as_of": as_of(),
            "resources": list(selectors.managed_resources(request.user)),
            **_tabs(request.user, "inbox"),
        },
    )


@login_required
def referral_detail(request, pk):
    referral = selectors.referral_for(request.user, pk)
    if request.method == "POST":
        status = request.POST.get("status", "")
        try:
            services.move_referral(
                request.user,
                referral,
                status,
                note=request.POST.get("note", ""),
                appointment_at=_moment(request.POST.get("appointment_at", "")),
            )
        except (ValidationError, PermissionDenied) as error:
            text = _error_text(error) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        else:
            messages.success(request, f"Referral {referral.external_id} is now {status}.")
        return redirect("care:referral_detail", pk=referral.pk)
    (rows,) = selectors.labelled(request.user, f"referral {referral.external_id}", [referral])
    referral = rows[0]
    contact = None
    if referral.person_label.shown:
        # The provider calls the person: the contact plan, if the policy shows it (audited).
        disclosure = disclose_person(
            request.user, referral.person, [C.CONTACT_PLAN], detail="referral: contact"
        )
        if disclosure.allows(C.CONTACT_PLAN):
            contact = referral.person
    steps = list(referral.steps.select_related("by", "by_agency"))
    return render(
        request,
        "care/referral_detail.html",
        {
            "r": referral,
            "steps": steps,
            "moves": [(s, ReferralStatus(s).label) for s in selectors.next_steps(referral)]
            if services.may_move_referral(request.user, referral)
            else [],
            "recipient": selectors.is_recipient(request.user, referral),
            "contact": contact,
            "due": selectors.due_by(referral),
            "as_of": as_of(),
            "category": C(selectors.service_category(referral.service_type)).label,
            **_tabs(
                request.user,
                "inbox" if selectors.is_recipient(request.user, referral) else "referrals",
            ),
        },
    )


# --- outreach and long-term care ------------------------------------------------------------------


@login_required
def outreach(request):
    at = as_of()
    minimum, days = selectors.frequent_threshold()
    try:
        wanted = max(2, min(20, int(request.GET.get("n", minimum))))
    except ValueError:
        wanted = minimum
    clients = selectors.frequent_clients(request.user, at, wanted)
    page = Paginator(clients, OUTREACH_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    labels = selectors.label_persons(
        request.user, [c.person for c in shown], detail=f"frequent clients page {page.number}"
    )
    for c in shown:
        c.person_label = labels[c.person.pk]
    visits = list(selectors.outreach_visits(request.user)[:25])
    visit_labels = selectors.label_persons(
        request.user, [v.person for v in visits], detail="planned outreach"
    )
    for v in visits:
        v.person_label = visit_labels[v.person_id]
    enrolled = sum(1 for c in clients if c.enrolled)
    return render(
        request,
        "care/outreach.html",
        {
            "page": page,
            "clients": shown,
            "count": len(clients),
            "enrolled": enrolled,
            "known": sum(1 for c in clients if c.enrolled is not None),
            "n": wanted,
            "days": days,
            "visits": visits,
            "programs": list(partner_programs(request.user)),
            "colleagues": _colleagues(request.user),
            "service_types": ServiceType.choices,
            "as_of": at,
            **_tabs(request.user, "outreach"),
        },
    )


def _colleagues(user) -> list[User]:
    agencies = [m.agency_id for m in memberships(user)]
    return list(
        User.objects.filter(memberships__agency_id__in=agencies, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@login_required
@require_POST
def plan_outreach(request):
    person = person_for(request.user, request.POST.get("person"))
    program = get_object_or_404(partner_programs(request.user), pk=request.POST.get("program"))
    assignee = None
    if request.POST.get("assigned_to"):
        assignee = next(
            (u for u in _colleagues(request.user) if str(u.pk) == request.POST["assigned_to"]),
            None,
        )
    when = _moment(request.POST.get("scheduled_for", ""))
    try:
        if when is None:
            raise ValidationError({"scheduled_for": ["give the day and time of the visit"]})
        services.plan_outreach(
            request.user,
            person,
            program=program,
            scheduled_for=when,
            assigned_to=assignee,
            purpose=request.POST.get("purpose", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(
            request, f"Outreach visit planned for {timezone.localtime(when):%b %-d %H:%M}."
        )
    return redirect(_back(request, reverse("care:outreach")))


@login_required
@require_POST
def close_visit(request, pk):
    visit = selectors.visit_for(request.user, pk)
    status = request.POST.get("status", "")
    try:
        services.close_outreach(request.user, visit, status)
    except (ValidationError, PermissionDenied) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, f"Visit marked {OutreachStatus(status).label.lower()}.")
    return redirect(_back(request, reverse("care:outreach")))


@login_required
@require_POST
def enroll(request, person_id):
    person = person_for(request.user, person_id)
    try:
        start = parse_date(request.POST.get("start_date", "")) or timezone.localdate()
        services.enroll(
            request.user,
            person,
            provider=request.POST.get("provider", ""),
            service_type=request.POST.get("service_type", ""),
            start_date=start,
        )
    except (ValidationError, PermissionDenied) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, f"{person.display_name} is enrolled in long-term care.")
    return redirect(_back(request, reverse("care:outreach")))


@login_required
@require_POST
def end_enrollment(request, pk):
    enrollment = get_object_or_404(selectors.visible_enrollments(request.user), pk=pk)
    try:
        services.end_enrollment(
            request.user,
            enrollment,
            end_date=parse_date(request.POST.get("end_date", "")) or timezone.localdate(),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, "Enrollment ended.")
    return redirect(_back(request, reverse("care:outreach")))


# --- safety plans ---------------------------------------------------------------------------------


@login_required
def safety_plan(request, person_id):
    person = person_for(request.user, person_id)
    disclosure = disclose_person(
        request.user, person, [C.IDENTITY, C.MENTAL_HEALTH, C.CONTACT_PLAN], detail="safety plan"
    )
    clinical = disclosure.get(C.MENTAL_HEALTH)
    plan = selectors.safety_plan_of(person) if clinical.allowed else None
    if request.method == "POST":
        sections = {key: request.POST.get(key, "") for key in SafetyPlan.SECTIONS}
        try:
            services.save_safety_plan(
                request.user,
                person,
                sections=sections,
                shared_sections=request.POST.getlist("shared"),
                share_with_responders=request.POST.get("share") == "1",
                responder_highlights=request.POST.get("responder_highlights", ""),
                de_escalation_tips=request.POST.get("de_escalation_tips", ""),
                contact_name=request.POST.get("contact_name", ""),
                contact_role=request.POST.get("contact_role", ""),
                contact_phone=request.POST.get("contact_phone", ""),
                signed_by=request.POST.get("signed_by", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            text = _error_text(error) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        else:
            messages.success(request, "Safety plan saved.")
            return redirect("care:safety_plan", person_id=person.pk)
    sections = [
        (key, SafetyPlan.SECTION_LABELS[key], (plan.sections or {}).get(key, "") if plan else "")
        for key in SafetyPlan.SECTIONS
    ]
    return render(
        request,
        "care/safety_plan.html",
        {
            "person": person,
            "plan": plan,
            "sections": sections,
            "shared": set(plan.shared_sections or []) if plan else set(),
            "clinical": clinical,
            "may_edit": clinical.allowed
            and services.may_write(request.user, person, C.MENTAL_HEALTH),
            **_tabs(request.user, "followups"),
        },
    )


# --- the directory --------------------------------------------------------------------------------


@login_required
@require_GET
def resource_list(request):
    try:
        search = search_from(request.GET)
        problem = ""
    except DRFValidationError as error:  # a bad number in the query: the directory, and why
        reasons = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in error.detail.items())
        search, problem = selectors.Search(), f"Not searched: {reasons}."
    found = selectors.search_resources(search)
    return render(
        request,
        "care/resource_list.html",
        {
            "found": found,
            "search": search,
            "problem": problem,
            "service_types": ServiceType.choices,
            "eligibility": selectors.eligibility_choices(),
            "filtered": bool(
                search.need or search.open_now or search.eligibility or search.q or search.age
            ),
            "as_of": timezone.now(),
            **_tabs(request.user, "resources"),
        },
    )


@login_required
def resource_detail(request, pk):
    resource = get_object_or_404(Resource.objects.select_related("provider_agency"), pk=pk)
    if request.method == "POST":
        try:
            available = int(request.POST.get("available_today", ""))
            services.update_capacity(request.user, resource, available)
        except ValueError:
            messages.error(request, "Give the number of places open today.")
        except (ValidationError, PermissionDenied) as error:
            text = _error_text(error) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        else:
            messages.success(request, f"{resource.name}: {available} open today.")
        return redirect("care:resource_detail", pk=resource.pk)
    now = timezone.now()
    return render(
        request,
        "care/resource_detail.html",
        {
            "r": resource,
            "open_now": selectors.is_open(resource, now),
            "closes": selectors.closes_at(resource, now),
            "manages": resource.provider_agency_id
            in {m.agency_id for m in memberships(request.user)},
            "tags": [
                label
                for value, label in selectors.eligibility_choices()
                if value in (resource.eligibility_tags or [])
            ],
            **_tabs(request.user, "resources"),
        },
    )


# --- reminders ------------------------------------------------------------------------------------


@login_required
@require_POST
def dismiss_reminder(request, pk):
    reminder = get_object_or_404(Reminder, pk=pk, user=request.user)
    services.dismiss_reminder(request.user, reminder)
    return redirect(_back(request, reverse("home")))
