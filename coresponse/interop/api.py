"""The crisis alert API, POST /api/v1/alerts/lookup (docs/api.md). Thin: interop.alert."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresponse.interop import alert


class LookupSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    dob = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    call_id = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, data):
        if not any(data.get(k) for k in ("first_name", "last_name", "dob", "address", "phone")):
            raise serializers.ValidationError("Give at least one of name, dob, address, phone.")
        return data


_Contact = inline_serializer(
    "AlertContact",
    {
        "name": serializers.CharField(),
        "role": serializers.CharField(),
        "phone": serializers.CharField(),
    },
)
_Section = inline_serializer(
    "AlertPlanSection", {"section": serializers.CharField(), "text": serializers.CharField()}
)
AlertSerializer = inline_serializer(
    "CrisisAlert",
    {
        "found": serializers.BooleanField(help_text="Anything you may see was found."),
        "name": serializers.CharField(),
        "dob": serializers.DateField(allow_null=True),
        "match_score": serializers.FloatField(allow_null=True),
        "match_reasons": serializers.ListField(child=serializers.CharField()),
        "known_to_crisis_system": serializers.BooleanField(),
        "engaged_in_care": serializers.BooleanField(),
        "care_providers": serializers.ListField(child=serializers.CharField()),
        "who_to_call": serializers.ListField(child=_Contact),
        "safety_plan_highlights": serializers.ListField(child=serializers.CharField()),
        "shared_plan_sections": serializers.ListField(child=_Section),
        "de_escalation_tips": serializers.ListField(child=serializers.CharField()),
        "prior_crisis_contacts": serializers.IntegerField(),
        "last_crisis_contact": serializers.DateTimeField(allow_null=True),
        "responder_safety": serializers.ListField(child=serializers.CharField()),
        "shown_because": serializers.ListField(child=serializers.CharField()),
        "records": serializers.IntegerField(),
    },
)


class AlertLookupView(APIView):
    """The responder crisis alert for the person a call is about."""

    @extend_schema(
        operation_id="alerts_lookup",
        request=LookupSerializer,
        responses={
            200: AlertSerializer,
            400: OpenApiResponse(description="No field given, or a field is malformed."),
            401: OpenApiResponse(description="Not signed in."),
        },
        description="Find the person across every agency's records (typos, nicknames, swapped "
        "day and month and missing fields tolerated) and return only what the disclosure policy "
        "lets you see for emergency response. Nothing found and nothing you may see answer the "
        "same (`found: false`). Every lookup is written to the audit chain.",
        tags=["alerts"],
    )
    def post(self, request):
        given = LookupSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        result = alert.lookup(
            request.user,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            dob=data.get("dob"),
            address=data.get("address", ""),
            phone=data.get("phone", ""),
            call_id=data.get("call_id"),
        )
        return Response(result.as_dict())
