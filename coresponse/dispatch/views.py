"""Calls for service: the list and one call. Thin: every read is a selector."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from coresponse.dispatch import selectors
from coresponse.dispatch.models import CallSource

PAGE_SIZE = 50


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def call_list(request):
    params = request.GET
    source = params.get("source", "") if params.get("source") in CallSource.values else ""
    priority = _int(params.get("priority"))
    priority = priority if priority in range(1, 6) else None
    program_id = _int(params.get("program"))
    q = params.get("q", "")[:100]
    calls = selectors.call_list(
        request.user, source=source, priority=priority, program_id=program_id, q=q
    )
    page = Paginator(calls, PAGE_SIZE).get_page(params.get("page"))
    return render(
        request,
        "dispatch/call_list.html",
        {
            "page": page,
            "filters": {"source": source, "priority": priority, "program": program_id, "q": q},
            "filtered": bool(source or priority or program_id or q.strip()),
            "sources": CallSource.choices,
            "priorities": range(1, 6),
            "programs": selectors.call_programs(request.user),
        },
    )


@login_required
def call_detail(request, pk):
    call = selectors.call_for(request.user, pk)
    encounters, hidden = selectors.call_encounters(request.user, call)
    return render(
        request,
        "dispatch/call_detail.html",
        {
            "call": call,
            "encounters": encounters,
            "hidden_encounters": hidden,
            # The caller's name and number are the call-taking agency's (as in the API).
            "shows_caller": selectors.is_dispatcher(request.user),
        },
    )
