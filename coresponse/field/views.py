"""Encounters: the list and one encounter. Thin: every read is a selector."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from coresponse.dispatch.selectors import partner_programs
from coresponse.field import selectors
from coresponse.field.models import Disposition, EncounterKind

PAGE_SIZE = 50


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def encounter_list(request):
    params = request.GET
    kind = params.get("kind", "") if params.get("kind") in EncounterKind.values else ""
    disposition = params.get("disposition", "")
    disposition = disposition if disposition in Disposition.values else ""
    program_id = _int(params.get("program"))
    encounters = selectors.encounter_list(
        request.user, program_id=program_id, kind=kind, disposition=disposition
    )
    page = Paginator(encounters, PAGE_SIZE).get_page(params.get("page"))
    rows = selectors.with_person_labels(
        request.user, page.object_list, detail=f"encounter list page {page.number}"
    )
    return render(
        request,
        "field/encounter_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": {"program": program_id, "kind": kind, "disposition": disposition},
            "filtered": bool(program_id or kind or disposition),
            "programs": partner_programs(request.user),
            "kinds": EncounterKind.choices,
            "dispositions": Disposition.choices,
        },
    )


@login_required
def encounter_detail(request, pk):
    encounter = selectors.encounter_for(request.user, pk)
    view = selectors.read_encounter(request.user, encounter)
    return render(request, "field/encounter_detail.html", {"view": view, "encounter": encounter})
