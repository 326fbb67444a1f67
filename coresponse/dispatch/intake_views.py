"""The call-taker's form (/calls/new/) and its caller look-up. Dispatchers only; thin views."""

from uuid import uuid4

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from coresponse.dispatch import selectors
from coresponse.dispatch.intake_forms import PRIORITIES, CallForm
from coresponse.dispatch.services import intake

_SOURCE_KEY = "intake_source"  # the line the dispatcher last took a call on


def _dispatcher_only(request):
    if not selectors.is_dispatcher(request.user):
        raise PermissionDenied("Only dispatchers take calls.")


@login_required
def call_new(request):
    _dispatcher_only(request)
    programs = selectors.call_programs(request.user)
    if request.method == "POST":
        form = CallForm(request.POST, programs=programs)
        if form.is_valid():
            fields = form.call_fields()
            token = form.cleaned_data["token"]
            try:
                if token:
                    key = f"{request.user.pk}:form:{token}"
                    call, _ = intake.create_call_once(key, user=request.user, **fields)
                else:
                    call = intake.create_call(user=request.user, **fields)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                request.session[_SOURCE_KEY] = call.source
                return redirect("dispatch:call_detail", pk=call.pk)
        status = 400
    else:
        form = CallForm(
            programs=programs,
            initial={"source": request.session.get(_SOURCE_KEY, "911"), "token": uuid4().hex},
        )
        status = 200
    return render(
        request,
        "dispatch/call_form.html",
        {
            "form": form,
            "priorities": PRIORITIES,
            "call_types": selectors.known_call_types(),
            "history": _history(form["caller_phone"].value()) if form.is_bound else None,
            # The first field to fix, else where a call-taker starts: the location.
            "focus": next((name for name in form.fields if name in form.errors), "address"),
            "error_count": sum(len(errors) for errors in form.errors.values()),
        },
        status=status,
    )


def _history(phone) -> dict | None:
    """What the form says about a caller's number: their calls in the window, or its problem."""
    if not phone or not str(phone).strip():
        return None
    problem = intake.phone_problem(phone)
    if problem:
        return {"problem": problem}
    threshold, days = intake.frequent_caller_threshold()
    earlier = intake.earlier_calls(phone, timezone.now())
    return {
        "earlier": earlier,
        "with_this": earlier + 1,
        "days": days,
        "frequent": earlier + 1 >= threshold,  # as is_frequent_caller decides at save
        "phone": intake.format_phone(intake.normalize_phone(phone)),
    }


@login_required
@require_GET
def caller_history(request):
    """The caller line of the form, looked up while the call-taker goes on typing."""
    _dispatcher_only(request)
    return render(
        request,
        "dispatch/includes/caller_history.html",
        {"history": _history(request.GET.get("caller_phone", "")[:40])},
    )
