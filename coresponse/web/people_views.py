"""People: the list and one person. Thin: person data only through the privacy selectors."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from coresponse.privacy.selectors import label_persons, search_persons
from coresponse.web.selectors import person_page

PAGE_SIZE = 50


@login_required
def person_list(request):
    q = request.GET.get("q", "")[:100]
    persons = search_persons(request.user, q)
    page = Paginator(persons, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    label_persons(request.user, rows, detail=f"people list page {page.number}")
    return render(request, "people/person_list.html", {"page": page, "rows": rows, "q": q})


@login_required
def person_detail(request, pk):
    return render(request, "people/person_detail.html", {"p": person_page(request.user, pk)})
