"""The field app's API of the team's call (docs/field-app.md): the current assignment and the
one-tap status buttons. Thin: reads are field.selectors, the status write is the dispatch
board's own service (through field.services.advance_assignment).

Writes carry an `Idempotency-Key` (the offline queue's id of the tap): a retry after a lost
answer gets the first answer back and stamps nothing twice (agencies.idempotency). The same
helper, `keyed`, answers the field records of care.api.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from coresponse.agencies import idempotency
from coresponse.dispatch.api import IDEMPOTENCY_KEY
from coresponse.dispatch.models import Assignment, AssignmentStatus
from coresponse.dispatch.selectors import OPEN_STATUSES
from coresponse.dispatch.serializers import EARLIEST_YEAR
from coresponse.field import selectors, services

_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")
JSON = "application/json"

Problem = inline_serializer(
    "FieldProblem",
    {"detail": serializers.CharField(), "code": serializers.CharField(required=False)},
)
Invalid = OpenApiResponse(
    {
        "type": "object",
        # Messages by key; a body that is not JSON at all answers {"detail": "..."}.
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
        "example": {"values.notes.substance_use": ["your role may not record substance use"]},
    },
    description="The record cannot be saved as sent: messages by key. Nothing was saved; the "
    "Idempotency-Key stays free for the corrected request.",
)
Unauthenticated = OpenApiResponse(Problem, description="Not signed in (the session ended).")
KeyReused = OpenApiResponse(Problem, description="The key was used for a different request.")


class Refused(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"


def problem(status_code: int, detail: str, code: str) -> HttpResponse:
    body = JSONRenderer().render({"detail": detail, "code": code})
    return HttpResponse(body, status=status_code, content_type=JSON)


def field_errors(error: DjangoValidationError) -> dict:
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": error.messages}
    return {
        ("non_field_errors" if name == "__all__" else name): messages
        for name, messages in error.message_dict.items()
    }


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return ""
    if not _KEY.match(key):
        raise serializers.ValidationError(
            {"Idempotency-Key": ["Use 1 to 64 printable characters without spaces."]}
        )
    return key


def as_id(text: str) -> int:
    """A path's id; anything but a whole number finds nothing (a JSON 404, not a routing one)."""
    try:
        number = int(text)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**63 else 0  # a bigger one would overflow the query


def rendered(data) -> str:
    return JSONRenderer().render(data).decode()


def nul_keys(data, path: str = "") -> list[str]:
    """The keys of a JSON body whose text holds a NUL character (no database column stores
    one; PostgreSQL refuses it), as dotted paths: `values.notes.mental_health`, `referrals.0`."""
    if isinstance(data, str):
        return [path or "body"] if "\x00" in data else []
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    found = []
    for name, value in items:
        name = str(name)
        here = f"{path}.{name}" if path else name
        found += [here] if "\x00" in name else nul_keys(value, here)
    return found


def keyed(request, scope: str, perform: Callable[[], tuple[int, str]]) -> HttpResponse:
    """Answer a write once per Idempotency-Key: `perform()` returns (status, JSON text) of a
    write that was carried out; it raises to refuse one (nothing stored, the key stays free)."""
    key = idempotency_key(request)

    def run():
        bad = nul_keys(request.data)
        if bad:
            raise serializers.ValidationError(
                {
                    name: ["contains a NUL character (\\u0000), which cannot be stored"]
                    for name in bad
                }
            )
        try:
            status_code, body = perform()
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from None
        return status_code, body, JSON

    if key:
        digest = idempotency.fingerprint(request.method, request.path, request.data)
        try:
            outcome = idempotency.run_once(request.user, scope, key, digest, run)
        except idempotency.KeyReused:
            return problem(
                422,
                f"The Idempotency-Key “{key}” was already used for a different request.",
                "idempotency_key_reused",
            )
    else:
        outcome = idempotency.Outcome(*run(), replayed=False)
    response = HttpResponse(
        outcome.body, status=outcome.status_code, content_type=outcome.content_type
    )
    if key:
        response["Idempotent-Replayed"] = "true" if outcome.replayed else "false"
    response["Cache-Control"] = "no-store"
    return response


def no_store(data, status_code: int = 200) -> HttpResponse:
    """A JSON answer with person data: never kept by a cache (the app keeps what it needs)."""
    response = HttpResponse(rendered(data), status=status_code, content_type=JSON)
    response["Cache-Control"] = "no-store"
    return response


_Work = inline_serializer(
    "FieldWork",
    {
        "on_team": serializers.BooleanField(),
        "assignments": serializers.ListField(child=serializers.DictField()),
        "teams": serializers.ListField(child=serializers.DictField()),
        "pages": serializers.ListField(child=serializers.DictField()),
    },
)


class FieldWorkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_work",
        summary="Your team's open assignments, with the call and its encounters",
        description="For each open assignment of a team you are on: the call (address, what "
        "was reported, the triage), the status buttons you may press now, the times stamped so "
        "far, the call's encounters as the field app edits them (only the keys your role may "
        "see; the rest listed as withheld) and `alert_query`, the person details the app may "
        "send to the crisis alert lookup. Every read of person data is audited.",
        responses={200: _Work, 401: Unauthenticated},
        tags=["field"],
    )
    def get(self, request):
        return no_store(selectors.field_work(request.user))


class AssignmentStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_assignment_status",
        summary="Stamp your team's next status (en route, on scene, officer cleared, cleared)",
        description="The dispatch board's own move: the same order, the same stamps, audited. "
        "`at` is when the button was pressed on the phone (offline taps are sent later); it is "
        "never later than the server's clock. A move out of order is refused with 409.",
        parameters=[IDEMPOTENCY_KEY],
        request=inline_serializer(
            "FieldStatus",
            {
                "status": serializers.ChoiceField(
                    [s for s in AssignmentStatus.values if s != AssignmentStatus.DISPATCHED]
                ),
                "at": serializers.DateTimeField(required=False),
            },
        ),
        responses={
            200: _Work,
            400: Invalid,
            401: Unauthenticated,
            404: OpenApiResponse(Problem, description="Not an open assignment of your team."),
            409: OpenApiResponse(Problem, description="The move is out of order."),
            422: KeyReused,
        },
        tags=["field"],
    )
    def post(self, request, pk: str):
        assignment = (
            Assignment.objects.select_related("team", "call")
            .filter(pk=as_id(pk), team__members=request.user)
            .first()
        )
        if assignment is None:
            return problem(404, "No open assignment of your team has this id.", "not_found")

        def perform():
            if assignment.status not in OPEN_STATUSES:
                raise Refused(f"{assignment.team.name} is already cleared.")
            data = request.data if isinstance(request.data, dict) else {}
            moves = [s for s in AssignmentStatus.values if s != AssignmentStatus.DISPATCHED]
            if data.get("status") not in moves:
                raise serializers.ValidationError({"status": [f"is one of: {', '.join(moves)}"]})
            at = None
            if data.get("at"):
                try:
                    at = serializers.DateTimeField().to_internal_value(data["at"])
                except serializers.ValidationError as error:
                    raise serializers.ValidationError({"at": error.detail}) from None
                if at.year < EARLIEST_YEAR:
                    raise serializers.ValidationError({"at": [f"is before {EARLIEST_YEAR}"]})
            try:
                services.advance_assignment(
                    request.user, assignment, str(data.get("status", "")), at=at
                )
            except ValueError as error:
                raise Refused(str(error)) from None
            return 200, rendered(selectors.field_work(request.user))

        return keyed(request, "field.status", perform)
