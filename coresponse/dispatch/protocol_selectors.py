"""Reads of triage protocols, filtered by who may see them, and who may change them.

Everyone with access to a program's calls (a partner agency's staff, and dispatchers) reads its
protocols; the default screening protocol (no program) is read by every signed-in user. A
program's protocol is edited by a program manager or supervisor of one of its partner agencies;
the default protocol by a program manager or supervisor of a 911 centre (it screens every call
no program covers). A protocol the viewer may not read answers 404, like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from coresponse.agencies.models import AgencyKind, Program, Role
from coresponse.dispatch.models import ProtocolVersion, TriageProtocol
from coresponse.dispatch.selectors import call_programs
from coresponse.dispatch.triage import documents
from coresponse.privacy.selectors import memberships

EDITOR_ROLES = frozenset({Role.PROGRAM_MANAGER, Role.SUPERVISOR})


def readable_protocols(user) -> QuerySet[TriageProtocol]:
    programs = call_programs(user).values("id")
    return TriageProtocol.objects.filter(
        Q(program__in=programs) | Q(program__isnull=True)
    ).select_related("program")


def protocol_list(user) -> QuerySet[TriageProtocol]:
    """Readable protocols with their newest version number and how many calls they triaged."""
    return (
        readable_protocols(user)
        .annotate(latest=Max("versions__number"), triaged=Count("versions__results"))
        .order_by("program__name", "-is_active", "name")
    )


def protocol_for_user(user, pk) -> TriageProtocol:
    try:
        return readable_protocols(user).get(pk=int(pk))
    except (TriageProtocol.DoesNotExist, ValueError, TypeError):
        raise Http404("No protocol found matching the query") from None


def may_edit(user, protocol: TriageProtocol) -> bool:
    editor = [m for m in memberships(user) if m.role in EDITOR_ROLES]
    if protocol.program_id is None:
        return any(m.agency.kind == AgencyKind.PSAP for m in editor)
    partners = set(protocol.program.agencies.values_list("id", flat=True))
    return any(m.agency_id in partners for m in editor)


def editable_programs(user) -> QuerySet[Program]:
    """Programs whose protocols the user may write."""
    agencies = [m.agency_id for m in memberships(user) if m.role in EDITOR_ROLES]
    return Program.objects.filter(agencies__in=agencies).distinct().order_by("name")


def programs_without_protocol(user) -> QuerySet[Program]:
    active = TriageProtocol.objects.filter(is_active=True, program__isnull=False)
    return editable_programs(user).exclude(id__in=active.values("program_id"))


def version_of(protocol: TriageProtocol, number: int | None = None) -> ProtocolVersion:
    versions = protocol.versions.select_related("created_by")
    version = (
        versions.filter(number=number).first() if number else versions.order_by("-number").first()
    )
    if version is None:
        raise Http404("No such version of this protocol")
    return version


@dataclass(frozen=True)
class HistoryEntry:
    version: ProtocolVersion
    changes: list[str]  # readable, one change a line, against the version before
    text_diff: str  # the TOML of the two versions as a unified diff


def history(protocol: TriageProtocol) -> list[HistoryEntry]:
    versions = list(protocol.versions.select_related("created_by").order_by("number"))
    entries, before = [], None
    for version in versions:
        if before is None:
            changes, text = ["First version."], ""
        else:
            changes = documents.changes(before.document, version.document) or ["No change."]
            text = documents.text_diff(before.document, version.document, before.number)
        entries.append(HistoryEntry(version, changes, text))
        before = version
    return entries[::-1]
