"""Triage protocols: the list, a version's rules with a "try it" box, the editor, the history.

Thin: reads are `protocol_selectors`, writes `services.triage`. A protocol the viewer may not
read is 404 (like a missing one); one they may read but not edit is 403 on the editor.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coresponse.dispatch import protocol_selectors as selectors
from coresponse.dispatch.models import CallSource
from coresponse.dispatch.services import triage as service
from coresponse.dispatch.triage import documents, protocols, vera
from coresponse.dispatch.triage.engine import (
    RECOMMENDATIONS,
    CallFacts,
    CompiledProtocol,
    ProtocolError,
    call_flags,
    compile_protocol,
    describe_windows,
)

PRIORITIES = [("", "Not set")] + [(str(p), str(p)) for p in range(1, 6)]


class TryForm(forms.Form):
    call_type = forms.CharField(label="Call type", max_length=120)
    priority = forms.TypedChoiceField(
        label="Priority", choices=PRIORITIES, coerce=int, empty_value=None, required=False
    )
    source = forms.ChoiceField(label="Source", choices=CallSource.choices, initial="911")
    received_at = forms.DateTimeField(
        label="Received",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    frequent_caller = forms.BooleanField(label="Frequent caller", required=False)
    narrative = forms.CharField(
        label="Narrative", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EditForm(forms.Form):
    document = forms.CharField(
        label="Protocol (TOML)", max_length=200_000, strip=False, widget=forms.Textarea
    )
    note = forms.CharField(label="What changed, and why", max_length=300, required=False)
    base = forms.IntegerField(widget=forms.HiddenInput)


class NewForm(forms.Form):
    program = forms.ModelChoiceField(label="Program", queryset=None, empty_label=None)
    example = forms.ChoiceField(
        label="Start from", choices=list(protocols.EXAMPLES.items()), initial="ride-along"
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs


@login_required
def protocol_list(request):
    return render(
        request,
        "dispatch/protocol_list.html",
        {
            "protocols": selectors.protocol_list(request.user),
            "may_create": selectors.programs_without_protocol(request.user).exists(),
        },
    )


@login_required
def protocol_detail(request, pk, number=None):
    protocol = selectors.protocol_for_user(request.user, pk)
    version = selectors.version_of(protocol, number)
    form = TryForm(initial={"received_at": timezone.localtime().replace(second=0, microsecond=0)})
    return render(request, "dispatch/protocol_detail.html", _page(request, protocol, version, form))


@login_required
@require_POST
def protocol_try(request, pk):
    protocol = selectors.protocol_for_user(request.user, pk)
    version = selectors.version_of(protocol, _int(request.POST.get("version")))
    form = TryForm(request.POST)
    outcome = _try(form, service.compile_version(version, protocol.program))
    if request.headers.get("HX-Request"):
        return render(request, "dispatch/_protocol_try.html", {"form": form, "outcome": outcome})
    context = _page(request, protocol, version, form, outcome)
    return render(request, "dispatch/protocol_detail.html", context)


@login_required
def protocol_edit(request, pk):
    protocol = selectors.protocol_for_user(request.user, pk)
    if not selectors.may_edit(request.user, protocol):
        raise PermissionDenied("Only a program manager or supervisor of a partner agency edits.")
    newest = selectors.version_of(protocol)
    try_form = TryForm(request.POST or None, prefix="try")
    problems, checked, outcome = [], False, None
    if request.method != "POST":
        text = documents.dumps(newest.document)
        form = EditForm(initial={"document": text, "base": newest.number})
    else:
        form = EditForm(request.POST)
        if form.is_valid():
            document, problems = documents.parse(form.cleaned_data["document"])
            saving = request.POST.get("action") == "save"
            if form.cleaned_data["base"] != newest.number:
                problems.insert(0, _moved_on(newest))
                form = _rebased(form, newest)
            if saving and not form.cleaned_data.get("note", "").strip():
                form.add_error("note", "Say what changed and why: it is kept with the version.")
            if not problems and not form.errors:
                if saving:
                    return _save(request, protocol, document, form.cleaned_data["note"])
                checked = True
                if request.POST.get("try-call_type"):
                    outcome = _try(try_form, _compile_draft(document, protocol))
        else:
            problems = [
                f"{form.fields[name].label}: {' '.join(errors)}"
                for name, errors in form.errors.items()
                if name in form.fields
            ]
    return render(
        request,
        "dispatch/protocol_edit.html",
        {
            "protocol": protocol,
            "newest": newest,
            "form": form,
            "problems": _located(problems, form.data.get("document") or ""),
            "lines": _problem_lines(problems, form.data.get("document") or ""),
            "checked": checked,
            "try_form": try_form,
            "outcome": outcome,
            "next_number": newest.number + 1,
            "categories": vera.categories(),
            "call_types": _call_types(newest.document),
        },
    )


@login_required
def protocol_history(request, pk):
    protocol = selectors.protocol_for_user(request.user, pk)
    return render(
        request,
        "dispatch/protocol_history.html",
        {
            "protocol": protocol,
            "entries": selectors.history(protocol),
            "may_edit": selectors.may_edit(request.user, protocol),
        },
    )


@login_required
def protocol_new(request):
    programs = selectors.programs_without_protocol(request.user)
    if not selectors.editable_programs(request.user).exists():
        raise PermissionDenied("Only a program manager or supervisor creates protocols.")
    form = NewForm(request.POST or None, programs=programs)
    if request.method == "POST" and form.is_valid():
        program, example = form.cleaned_data["program"], form.cleaned_data["example"]
        protocol = service.create_protocol(program, protocols.load(example), user=request.user)
        messages.success(request, f"Created from the {example} example. Adapt it, then save.")
        return redirect("dispatch:protocol_edit", pk=protocol.pk)
    return render(request, "dispatch/protocol_new.html", {"form": form, "programs": programs})


# --- helpers -------------------------------------------------------------------------------------


def _page(request, protocol, version, form, outcome=None) -> dict:
    newest = selectors.version_of(protocol)
    program_hours = protocol.program.service_hours if protocol.program else None
    document = version.document
    if program_hours is not None:
        hours_text = f"{describe_windows(program_hours)} (the program's hours)"
    else:
        hours_text = f"{describe_windows(document.get('service_hours', []))} (as the protocol says)"
    return {
        "hours_text": hours_text,
        "protocol": protocol,
        "version": version,
        "is_newest": version.number == newest.number,
        "newest": newest,
        "document": document,
        "exclusions": _rows(document.get("exclusions", []), program_hours),
        "rules": _rows(document.get("rules", []), program_hours),
        "default_label": _label(document.get("default")),
        "program_hours": program_hours,
        "may_edit": selectors.may_edit(request.user, protocol),
        "form": form,
        "outcome": outcome,
        "call_types": _call_types(document),
    }


def _rows(rules: list[dict], program_hours) -> list[dict]:
    return [
        {
            "id": rule.get("id", ""),
            "label": rule.get("label", ""),
            "recommend": rule.get("recommend", ""),
            "note": rule.get("note", ""),
            "conditions": documents.describe(rule, program_hours),
        }
        for rule in rules
    ]


def _label(recommendation) -> str:
    return RECOMMENDATIONS.get(recommendation, str(recommendation))


def _call_types(document: dict) -> list[str]:
    """Suggestions for the try-it box: the protocol's own call types, else common ones."""
    named = [
        t
        for section in ("exclusions", "rules")
        for rule in document.get(section, [])
        for t in rule.get("call_types", [])
        if "*" not in t
    ]
    common = [
        "SERVICE - WELFARE CHECK",
        "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
        "SUICIDE - IP/JO SUICIDAL PERSON AND ATTEMPTS",
        "127D_Suicide Threat",
        "--INTOX & LIQ VIOLS - INTOXICATED PERSON",
        "TRESPASS",
        "DISTURBANCE, MISCELLANEOUS/OTHER",
        "Welfare check",
        "Suicidal subject",
    ]
    return list(dict.fromkeys([*named, *common]))


def _try(form: TryForm, compiled: CompiledProtocol) -> dict | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    received = data["received_at"] or timezone.now()
    facts = CallFacts(
        call_type=data["call_type"],
        priority=data["priority"],
        narrative=data["narrative"],
        received_at=received,
        source=data["source"],
        flags=call_flags(data["frequent_caller"]),
    )
    decision = compiled.decide(facts)
    return {
        "decision": decision,
        "categories": sorted(vera.categories_of(data["call_type"])),
        "received": timezone.localtime(received),
    }


def _compile_draft(document: dict, protocol) -> CompiledProtocol:
    hours = protocol.program.service_hours if protocol.program else None
    try:
        return compile_protocol(
            document, version=None, service_hours=hours, tz=timezone.get_default_timezone()
        )
    except ProtocolError:  # the program's own hours are broken: use the document's
        return compile_protocol(document, tz=timezone.get_default_timezone())


def _save(request, protocol, document: dict, note: str):
    try:
        version = service.save_version(protocol, document, user=request.user, note=note)
    except ProtocolError as error:  # validated above; kept for a race with a changed engine
        messages.error(request, str(error))
        return redirect("dispatch:protocol_edit", pk=protocol.pk)
    messages.success(
        request, f"Saved as version {version.number}. New calls are triaged with it from now on."
    )
    return redirect(reverse("dispatch:protocol_detail", args=[protocol.pk]))


def _moved_on(newest) -> str:
    who = newest.created_by.get_full_name() if newest.created_by else "someone"
    return (
        f"Version {newest.number} was saved by {who or 'someone'} after you opened the editor. "
        "Your text is still here: compare it with the history, then save again."
    )


def _rebased(form: EditForm, newest) -> EditForm:
    data = form.data.copy()
    data["base"] = str(newest.number)
    rebound = EditForm(data)
    rebound.is_valid()
    return rebound


_LINE = re.compile(r"at line (\d+)")
_WHERE = re.compile(r"^(exclusions|rules)\[(\d+)\](?:\.(\w+))?")


def _line_of(problem: str, text: str) -> int | None:
    """The line a problem is on: TOML says so; a rule's problem is on its key's line, or at
    its [[rules]] header."""
    found = _LINE.search(problem)
    if found:
        return int(found.group(1))
    where = _WHERE.match(problem)
    if not where:
        return None
    header, index, key = f"[[{where.group(1)}]]", int(where.group(2)), where.group(3)
    lines = text.splitlines()
    seen, start = -1, None
    for number, line in enumerate(lines, 1):
        if line.strip() == header:
            seen += 1
            if seen == index:
                start = number
                break
    if start is None or not key:
        return start
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1].strip()
        if line.startswith("["):
            break
        if re.match(rf"{re.escape(key)}\s*=", line):
            return number
    return start


def _located(problems: list[str], text: str) -> list[tuple[int | None, str]]:
    """(line, problem) pairs, so the editor can take the reader to the line."""
    return [(_line_of(problem, text), problem) for problem in problems]


def _problem_lines(problems: list[str], text: str) -> list[int]:
    return sorted({line for p in problems if (line := _line_of(p, text))})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
