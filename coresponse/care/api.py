"""The field app's API of records and the directory (docs/field-app.md): the profile it keeps
offline, the resource directory, the planned outreach visits, and the sync of encounter records
with their referrals, follow-up and consent.

A record is created once per `client_id` and per Idempotency-Key; an edit names the version it
started from and either saves, saves on top of other changes, or answers 409 with a conflict a
person reconciles at `reconcile_url` (field.services). Thin: reads are care.selectors and
field.selectors, writes care.services.
"""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from coresponse.care import selectors, services
from coresponse.care.models import ServiceType
from coresponse.field.api import (
    IDEMPOTENCY_KEY,
    Invalid,
    KeyReused,
    Problem,
    Unauthenticated,
    as_id,
    keyed,
    no_store,
    rendered,
)
from coresponse.field.selectors import device_record, visible_encounters
from coresponse.privacy.selectors import label_persons

_Profile = inline_serializer(
    "FieldProfile",
    {
        "user": serializers.DictField(),
        "time_zone": serializers.CharField(),
        "writable": serializers.ListField(child=serializers.CharField()),
        "programs": serializers.ListField(child=serializers.DictField()),
        "choices": serializers.DictField(),
        "status_flow": serializers.DictField(),
        "csrf_token": serializers.CharField(help_text="Send it as X-CSRFToken with writes."),
    },
)
_Resources = inline_serializer(
    "FieldResources",
    {
        "as_of": serializers.DateTimeField(),
        "resources": serializers.ListField(child=serializers.DictField()),
    },
)
_Record = inline_serializer(
    "FieldRecord",
    {
        "client_id": serializers.UUIDField(),
        "kind": serializers.ChoiceField(["crisis", "follow_up", "outreach"], required=False),
        "assignment": serializers.IntegerField(required=False),
        "program": serializers.IntegerField(required=False),
        "outreach_visit": serializers.IntegerField(required=False),
        "recorded_at": serializers.DateTimeField(required=False),
        "person": serializers.DictField(required=False),
        "values": serializers.DictField(),
        "referrals": serializers.ListField(child=serializers.DictField(), required=False),
        "follow_up": serializers.DictField(required=False),
        "consent": serializers.DictField(required=False),
    },
)
_Edit = inline_serializer(
    "FieldRecordEdit",
    {
        "base_version": serializers.IntegerField(),
        "recorded_at": serializers.DateTimeField(required=False),
        "values": serializers.DictField(),
        "referrals": serializers.ListField(child=serializers.DictField(), required=False),
        "follow_up": serializers.DictField(required=False),
        "consent": serializers.DictField(required=False),
    },
)
_Saved = inline_serializer(
    "FieldRecordSaved",
    {
        "record": serializers.DictField(),
        "created": serializers.BooleanField(),
        "merged": serializers.BooleanField(),
        "referrals": serializers.ListField(child=serializers.DictField()),
        "follow_up": serializers.DictField(allow_null=True),
        "consent_id": serializers.IntegerField(allow_null=True),
    },
)
_Conflict = inline_serializer(
    "FieldRecordConflict",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "conflict": serializers.IntegerField(),
        "fields": serializers.ListField(child=serializers.CharField()),
        "reconcile_url": serializers.CharField(),
    },
)


class FieldProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_profile",
        summary="Who you are and every list the encounter form offers (kept offline)",
        responses={200: _Profile, 401: Unauthenticated},
        tags=["field"],
    )
    def get(self, request):
        # The CSRF cookie is HttpOnly: the app sends this token with its writes.
        return no_store({**selectors.field_profile(request.user), "csrf_token": get_token(request)})


class ResourceListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="care_resources",
        summary="The resource directory, or a search of it",
        description="Active entries with eligibility, hours (and whether open now), capacity "
        "today, address, coordinates and contact. Without parameters: the whole directory, "
        "as the field app keeps it to search offline. `lat` and `lon` sort by distance.",
        parameters=[
            OpenApiParameter("need", str, enum=ServiceType.values),
            OpenApiParameter("open_now", bool),
            OpenApiParameter("eligibility", str),
            OpenApiParameter("age", int),
            OpenApiParameter("q", str, description="words in the name or description"),
            OpenApiParameter("lat", float),
            OpenApiParameter("lon", float),
            OpenApiParameter("within_km", float),
        ],
        responses={200: _Resources, 400: Invalid, 401: Unauthenticated},
        tags=["care"],
    )
    def get(self, request):
        search = search_from(request.query_params)
        at = timezone.now()
        found = selectors.search_resources(search, at)
        rows = []
        for f in found:
            row = selectors.resource_json(f.resource, at)
            row["distance_km"] = round(f.distance_km, 2) if f.distance_km is not None else None
            rows.append(row)
        return no_store({"as_of": at.isoformat(), "resources": rows})


def search_from(params) -> selectors.Search:
    """A directory search from query parameters (the API's and the staff page's)."""
    errors = {}

    def number(name, kind, low, high):
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            value = kind(raw)
        except ValueError:
            errors[name] = ["is not a number"]
            return None
        if not low <= value <= high:  # also NaN, which is within no range
            errors[name] = [f"is not between {low} and {high}"]
            return None
        return value

    need = params.get("need", "")
    if need and need not in ServiceType.values:
        errors["need"] = [f"{need!r} is not a kind of service"]
    search = selectors.Search(
        need=need if "need" not in errors else "",
        open_now=params.get("open_now") in ("1", "true", "on", "yes"),
        eligibility=params.get("eligibility", ""),
        age=number("age", int, 0, 130),
        q=params.get("q", "")[:100],
        latitude=number("lat", float, -90, 90),
        longitude=number("lon", float, -180, 180),
        within_km=number("within_km", float, 0, 20_000),
    )
    if errors:
        raise serializers.ValidationError(errors)
    return search


class OutreachMineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_outreach",
        summary="The outreach visits planned for you",
        responses={200: inline_serializer("FieldOutreach", {"visits": serializers.ListField()})},
        tags=["field"],
    )
    def get(self, request):
        visits = list(selectors.outreach_visits(request.user, mine_only=True)[:50])
        labels = label_persons(
            request.user, [v.person for v in visits], detail="field app: outreach visits"
        )
        return no_store(
            {
                "visits": [
                    {
                        "id": v.pk,
                        "person_id": v.person_id,
                        "person": labels[v.person_id].text,
                        "program": v.program_id,
                        "program_name": v.program.name,
                        "scheduled_for": v.scheduled_for.isoformat(),
                        "purpose": v.purpose,
                        "address": v.person.address if labels[v.person_id].shown else "",
                    }
                    for v in visits
                ]
            }
        )


def _answer(request, result: services.FieldResult, status_code: int) -> tuple[int, str]:
    if result.conflict is not None:
        conflict = result.conflict
        return 409, rendered(
            {
                "detail": "This record was changed on the server since your phone read it, in "
                "the same places: nothing was overwritten. Both versions are kept until you "
                "reconcile them.",
                "code": "conflict",
                "conflict": conflict.pk,
                "fields": conflict.fields,
                "reconcile_url": reverse("field_app:reconcile", args=[conflict.pk]),
            }
        )
    record = device_record(request.user, result.encounter, detail="field app: record synced")
    return status_code, rendered(
        {
            "record": record,
            "created": result.created,
            "merged": result.merged,
            "referrals": [
                {"id": r.pk, "external_id": r.external_id, "provider": r.provider}
                for r in result.referrals
            ],
            "follow_up": {
                "id": result.followup.pk,
                "external_id": result.followup.external_id,
                "due_at": result.followup.due_at.isoformat(),
            }
            if result.followup
            else None,
            "consent_id": result.consent_id,
        }
    )


class RecordListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_record_create",
        summary="Sync a record made in the field (an encounter with its care)",
        description="The encounter (values by key: outcome fields and `notes.<category>`), "
        "the person (an id you may see, or names for a new record held by your agency), "
        "referrals to directory entries, a follow-up, and the person's consent with the "
        "signature drawn on the phone. Created once per `client_id`: sending it again answers "
        "200 with what the first one made.",
        parameters=[IDEMPOTENCY_KEY],
        request=_Record,
        responses={
            201: _Saved,
            200: _Saved,
            400: Invalid,
            401: Unauthenticated,
            403: OpenApiResponse(Problem, description="Your role may not record this."),
            422: KeyReused,
        },
        tags=["field"],
    )
    def post(self, request):
        def perform():
            data = request.data if isinstance(request.data, dict) else None
            result = services.submit_field_record(request.user, data)
            return _answer(request, result, 201 if result.created else 200)

        return keyed(request, "field.records.create", perform)


class RecordDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="field_record_edit",
        summary="Sync edits of a record, made from the version the phone read",
        description="Send only the keys you changed and `base_version`. Saved if the record "
        "is still at that version, or if the server changed other keys meanwhile (`merged`); "
        "if the server changed one of the same keys, nothing is saved and the answer is 409 "
        "with the conflict to reconcile.",
        parameters=[IDEMPOTENCY_KEY],
        request=_Edit,
        responses={
            200: _Saved,
            400: Invalid,
            401: Unauthenticated,
            403: OpenApiResponse(Problem, description="You may not edit this record."),
            404: OpenApiResponse(Problem, description="No such record, or not one you may see."),
            409: _Conflict,
            422: KeyReused,
        },
        tags=["field"],
    )
    def patch(self, request, pk: str):
        encounter = get_object_or_404(visible_encounters(request.user), pk=as_id(pk))

        def perform():
            data = request.data if isinstance(request.data, dict) else None
            result = services.update_field_record(request.user, encounter, data)
            return _answer(request, result, 200)

        return keyed(request, "field.records.edit", perform)
