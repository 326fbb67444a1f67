"""The crisis alert panel on a call's page (interop.alert does the work)."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from coresponse.dispatch.selectors import call_for
from coresponse.interop import alert


@login_required
@require_POST
def alert_panel(request, call_id):
    call = call_for(request.user, call_id)  # 404 for a call the viewer may not see
    form = {k: request.POST.get(k, "").strip()[:100] for k in ("first_name", "last_name", "phone")}
    form["address"] = request.POST.get("address", "").strip()[:300]
    problem, dob = "", None
    if request.POST.get("dob"):
        try:
            dob = date.fromisoformat(request.POST["dob"])
        except ValueError:
            problem = "The date of birth is not a date."
    if not problem and not (dob or any(form.values())):
        problem = "Give at least a name, a date of birth, a phone number or an address."
    result = None
    if not problem:
        result = alert.lookup(request.user, dob=dob, call_id=call.pk, **form)
    return render(
        request,
        "interop/alert_result.html",
        {"alert": result, "problem": problem, "call": call},
        status=400 if problem else 200,
    )
