"""The insights pages. Thin: every read is a selector, every file a report builder.

/insights/                        the program manager's dashboard (filters in the query string)
/insights/groups/                 the dashboard's breakdowns and equity view (sent after it)
/insights/encounters/<key>/       the encounters behind a tile (through the disclosure policy)
/insights/evaluation/             the evaluation pack: the county beside the field's figures
/insights/report.<pdf|csv|xlsx>   the board report of the dashboard's question
/transparency/                    the public page: aggregates only, small numbers hidden
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coresponse.field.selectors import with_person_labels
from coresponse.insights import catalogue, evaluation, facts, public, reports, selectors
from coresponse.insights.filters import FilterError
from coresponse.insights.tasks import refresh_facts
from coresponse.privacy.services import record

PAGE_SIZE = 50


def _forbidden(request):
    return render(request, "insights/forbidden.html", status=403)


def _bad_filters(request, error: FilterError):
    context = {"error": error, "programs": list(selectors.user_programs(request.user))}
    return render(request, "insights/bad_filters.html", context, status=400)


@login_required
def dashboard(request):
    if not selectors.can_view(request.user):
        return _forbidden(request)
    try:
        context = selectors.dashboard(request.user, request.GET)
    except FilterError as error:
        return _bad_filters(request, error)
    context["refresh"] = facts.last_refresh()
    return render(request, "insights/dashboard.html", context)


@login_required
def dashboard_groups(request):
    """The dashboard's breakdowns and equity view, asked for by the page after it is shown."""
    if not selectors.can_view(request.user):
        return _forbidden(request)
    try:
        context = selectors.dashboard_groups_page(request.user, request.GET)
    except FilterError as error:
        return _bad_filters(request, error)
    return render(request, "insights/_groups.html", context)


@login_required
def drilldown(request, key: str):
    if not selectors.can_view(request.user):
        return _forbidden(request)
    if key not in selectors.DRILLDOWNS:
        raise Http404("No such figure")
    try:
        filters = selectors.user_filters(request.user, request.GET)
    except FilterError as error:
        return _bad_filters(request, error)
    encounters, counted = selectors.drilldown(request.user, filters, key)
    page = Paginator(encounters, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = with_person_labels(
        request.user, page.object_list, detail=f"insights drill-down {key} page {page.number}"
    )
    return render(
        request,
        "insights/drilldown.html",
        {
            "definition": catalogue.definition(key),
            "filters": filters,
            "query": filters.query(),
            "page": page,
            "rows": rows,
            "counted": counted,
            "not_listed": counted - page.paginator.count,
        },
    )


@login_required
def evaluation_pack(request):
    if not selectors.can_view(request.user):
        return _forbidden(request)
    try:
        filters = selectors.user_filters(request.user, request.GET, default_days=365)
    except FilterError as error:
        return _bad_filters(request, error)
    return render(
        request,
        "insights/evaluation.html",
        {"pack": evaluation.pack(filters), "filters": filters, "query": filters.query()},
    )


@login_required
def report(request, fmt: str):
    if not selectors.can_view(request.user):
        return _forbidden(request)
    if fmt not in reports.MIME:
        raise Http404("No such report format")
    try:
        filters = selectors.user_filters(request.user, request.GET)
    except FilterError as error:
        return _bad_filters(request, error)
    built = reports.build(filters, fmt, baseline=request.GET.get("baseline", "previous"))
    record(
        request.user,
        "export",
        object_type="report",
        object_id=fmt,
        categories=[],
        detail=f"insights report {fmt}: {built.filename} (aggregates, small numbers hidden)",
    )
    response = HttpResponse(built.content, content_type=built.content_type)
    response["Content-Disposition"] = f'attachment; filename="{built.filename}"'
    return response


@login_required
@require_POST
def refresh(request):
    """Ask the worker to rebuild the fact tables now (a manager who just fixed a record)."""
    if not selectors.can_view(request.user):
        return _forbidden(request)
    if cache.add(facts.QUEUED_KEY, True, timeout=facts.REFRESH_MINUTES * 60):
        refresh_facts.enqueue()
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/insights/") else "insights:dashboard")


def transparency(request):
    """The public page: no sign-in, aggregates only, cells under 11 people hidden."""
    try:
        context = public.page(request.GET)
    except FilterError as error:
        return render(request, "insights/transparency_error.html", {"error": error}, status=400)
    return render(request, "insights/transparency.html", context)
