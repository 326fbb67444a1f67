"""The calls API, /api/v1/calls/ (docs/api.md). Thin: writes are dispatch.services.intake.

Every authenticated role may read the calls `visible_calls` lets it see; a call it may not see
answers 404 exactly like a missing one. Only dispatchers create and change calls. A POST or
PATCH with an Idempotency-Key is carried out once: a retry gets the first response back.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.reverse import reverse

from coresponse.agencies import idempotency
from coresponse.dispatch import selectors
from coresponse.dispatch.models import Call
from coresponse.dispatch.serializers import (
    CallFilterSerializer,
    CallSerializer,
    CallWriteSerializer,
)
from coresponse.dispatch.services import intake

# Printable ASCII without spaces; 64 leaves room for the user's id in Call.idempotency_key.
_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")
JSON = "application/json"

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 64 printable characters (a UUID is ideal). A retry with "
    "the same key and body gets the first response back (with `Idempotent-Replayed: true`) and "
    "changes nothing; the same key with a different body is refused with 422. A request that "
    "fails validation does not use up its key.",
)
_Problem = inline_serializer(
    "Problem",
    {"detail": serializers.CharField(), "code": serializers.CharField(required=False)},
)
_Invalid = OpenApiResponse(
    {
        "type": "object",
        # Field errors are lists of messages; a body that is not JSON at all gets `detail`.
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
        "example": {"priority": ["Priority is 1 (most urgent) to 5."]},
    },
    description="Invalid input: an object keyed by field name (or `non_field_errors`), each "
    "with a list of messages; or `detail` when the body is not JSON.",
)
_KeyReused = OpenApiResponse(
    _Problem, description="The Idempotency-Key was already used for a different request."
)
_Unauthenticated = OpenApiResponse(
    _Problem,
    description="Not signed in, or the token expired or was revoked: send `Authorization: Bearer …`"
    " or a session cookie.",
)
_Forbidden = OpenApiResponse(_Problem, description="Signed in, but not a dispatcher.")
_Missing = OpenApiResponse(_Problem, description="No such call, or not one you may see.")


class DispatchersWrite(BasePermission):
    message = "Only dispatchers may create or change calls."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or selectors.is_dispatcher(request.user)


def _problem(status_code: int, detail: str, code: str) -> HttpResponse:
    body = JSONRenderer().render({"detail": detail, "code": code})
    return HttpResponse(body, status=status_code, content_type=JSON)


def _field_errors(error: DjangoValidationError) -> dict:
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": error.messages}
    return {
        ("non_field_errors" if name == "__all__" else name): messages
        for name, messages in error.message_dict.items()
    }


def filter_calls(calls, filters: dict):
    if filters.get("source"):
        calls = calls.filter(source=filters["source"])
    if filters.get("priority"):
        calls = calls.filter(priority=filters["priority"])
    if filters.get("program"):
        calls = calls.filter(program__external_id=filters["program"])
    if filters.get("call_type"):
        calls = calls.filter(call_type__icontains=filters["call_type"].strip())
    if filters.get("q", "").strip():
        q = filters["q"].strip()
        calls = calls.filter(
            Q(external_id__icontains=q) | Q(call_type__icontains=q) | Q(address__icontains=q)
        )
    if filters.get("received_after"):
        calls = calls.filter(received_at__gte=filters["received_after"])
    if filters.get("received_before"):
        calls = calls.filter(received_at__lt=filters["received_before"])
    if filters.get("recommendation"):
        calls = calls.filter(triage__recommendation=filters["recommendation"])
    if filters.get("frequent_caller") is not None:
        calls = calls.filter(frequent_caller=filters["frequent_caller"])
    return calls


@extend_schema_view(
    list=extend_schema(
        summary="List the calls you may see, newest first",
        parameters=[CallFilterSerializer],
        responses={
            200: CallSerializer(many=True),
            400: _Invalid,
            401: _Unauthenticated,
            404: OpenApiResponse(_Problem, description="No such page of results."),
        },
    ),
    retrieve=extend_schema(
        summary="One call with its triage",
        responses={200: CallSerializer, 401: _Unauthenticated, 404: _Missing},
    ),
    create=extend_schema(
        summary="Take a call (dispatchers)",
        description="Saves the call, flags a frequent caller and triages it, all at once. The "
        "response carries the triage: recommendation, the sentence explaining it, the rules "
        "that fired and the protocol version.",
        parameters=[IDEMPOTENCY_KEY],
        request=CallWriteSerializer,
        responses={
            201: CallSerializer,
            400: _Invalid,
            401: _Unauthenticated,
            403: _Forbidden,
            422: _KeyReused,
        },
    ),
    partial_update=extend_schema(
        summary="Change a call (dispatchers)",
        description="Send only the fields that change. The call is triaged again when a field "
        "the protocol reads changes (call type, priority, narrative, source, received time, "
        "program, caller number).",
        parameters=[IDEMPOTENCY_KEY],
        request=CallWriteSerializer,
        responses={
            200: CallSerializer,
            400: _Invalid,
            401: _Unauthenticated,
            403: _Forbidden,
            404: _Missing,
            422: _KeyReused,
        },
    ),
)
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CallSerializer
    permission_classes = [IsAuthenticated, DispatchersWrite]
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Call.objects.none()  # the model, for the schema; rows come from get_queryset

    def get_queryset(self):
        calls = (
            selectors.visible_calls(self.request.user)
            .select_related("triage__version__protocol", "triage__reason")
            # A protocol's rules are a large document the response does not show.
            .defer("triage__version__document")
            .order_by("-received_at", "-id")
        )
        if self.action == "list":
            filters = CallFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            calls = filter_calls(calls, filters.validated_data)
        return calls

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["shows_caller"] = selectors.is_dispatcher(self.request.user)
        return context

    def create(self, request, *args, **kwargs):
        key = self._idempotency_key(request)

        def perform():
            write = CallWriteSerializer(data=request.data)
            write.is_valid(raise_exception=True)
            fields = dict(write.validated_data)
            if key:
                fields["idempotency_key"] = f"{request.user.pk}:{key}"
            try:
                call = intake.create_call(user=request.user, **fields)
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error)) from None
            return status.HTTP_201_CREATED, self._render(call.pk), JSON

        return self._answer(request, "calls.create", key, perform)

    def partial_update(self, request, *args, **kwargs):
        call = self.get_object()
        key = self._idempotency_key(request)

        def perform():
            write = CallWriteSerializer(call, data=request.data, partial=True)
            write.is_valid(raise_exception=True)
            try:
                intake.update_call(call, user=request.user, **write.validated_data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error)) from None
            return status.HTTP_200_OK, self._render(call.pk), JSON

        return self._answer(request, "calls.update", key, perform)

    def _render(self, pk) -> str:
        call = self.get_queryset().get(pk=pk)
        data = self.get_serializer(call).data
        return JSONRenderer().render(data).decode()

    @staticmethod
    def _idempotency_key(request) -> str:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return ""
        if not _KEY.match(key):
            raise serializers.ValidationError(
                {"Idempotency-Key": ["Use 1 to 64 printable characters without spaces."]}
            )
        return key

    def _answer(self, request, scope: str, key: str, perform) -> HttpResponse:
        if key:
            digest = idempotency.fingerprint(request.method, request.path, request.data)
            try:
                outcome = idempotency.run_once(request.user, scope, key, digest, perform)
            except idempotency.KeyReused:
                return _problem(
                    422,
                    f"The Idempotency-Key “{key}” was already used for a different request. "
                    "Send a new key for a new request; a retry must repeat the first one "
                    "exactly.",
                    "idempotency_key_reused",
                )
        else:
            outcome = idempotency.Outcome(*perform(), replayed=False)
        response = HttpResponse(
            outcome.body, status=outcome.status_code, content_type=outcome.content_type
        )
        if outcome.status_code == status.HTTP_201_CREATED:
            pk = json.loads(outcome.body)["id"]
            response["Location"] = reverse("api:call-detail", args=[pk], request=request)
        if key:
            response["Idempotent-Replayed"] = "true" if outcome.replayed else "false"
        return response
