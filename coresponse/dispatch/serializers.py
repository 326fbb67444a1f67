"""The API's view of a call: what a client may send, and what it gets back with the triage."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresponse.agencies.models import Program
from coresponse.dispatch.models import Call, CallSource, Recommendation, TriageResult
from coresponse.dispatch.services import intake

# A CAD's clock may run a little ahead of ours; beyond this a received time is a mistake.
EARLIEST_YEAR = 1970  # before it, times are typos (and zones have odd historic offsets)
CLOCK_SKEW = timedelta(minutes=5)


class TriageSerializer(serializers.ModelSerializer):
    """What the protocol in force recommended, the rules that fired, and the sentence saying why."""

    recommendation_label = serializers.CharField(source="get_recommendation_display")
    fired = serializers.ListField(
        child=serializers.CharField(), source="reason.fired", help_text="Rule ids, in order."
    )
    explanation = serializers.CharField(source="reason.explanation", read_only=True)
    protocol = serializers.SerializerMethodField(
        help_text="The protocol's id (slug); null for the default screening."
    )
    protocol_name = serializers.SerializerMethodField()
    protocol_version = serializers.SerializerMethodField(
        help_text="The version number of the protocol that decided."
    )

    class Meta:
        model = TriageResult
        fields = [
            "recommendation",
            "recommendation_label",
            "explanation",
            "fired",
            "protocol",
            "protocol_name",
            "protocol_version",
            "triaged_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_protocol(self, result) -> str | None:
        return result.version.protocol.external_id if result.version else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_protocol_name(self, result) -> str | None:
        return result.version.protocol.name if result.version else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_protocol_version(self, result) -> int | None:
        return result.version.number if result.version else None


class _ProgramField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(
            slug_field="external_id",
            queryset=Program.objects.all(),
            error_messages={
                "does_not_exist": "No program with the id “{value}”.",
                "invalid": "A program is given by its id, a string.",
            },
            **kwargs,
        )


class CallSerializer(serializers.ModelSerializer):
    """A call as the API returns it.

    The caller's name and number are the call-taking agency's: they are shown to dispatchers
    and null for every other role. `frequent_caller` is shown to all (it guides the response).
    """

    program = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True, help_text="The program's id."
    )
    program_name = serializers.CharField(source="program.name", read_only=True, allow_null=True)
    triage = TriageSerializer(read_only=True, allow_null=True)  # null: not triaged yet (import)
    caller_name = serializers.SerializerMethodField()
    caller_phone = serializers.SerializerMethodField(help_text="Digits only.")

    class Meta:
        model = Call
        fields = [
            "id",
            "external_id",
            "received_at",
            "source",
            "call_type",
            "priority",
            "address",
            "latitude",
            "longitude",
            "district",
            "narrative",
            "program",
            "program_name",
            "caller_name",
            "caller_phone",
            "frequent_caller",
            "triage",
        ]
        read_only_fields = fields

    def _shows_caller(self) -> bool:
        return bool(self.context.get("shows_caller"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_caller_name(self, call) -> str | None:
        return call.caller_name if self._shows_caller() else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_caller_phone(self, call) -> str | None:
        return call.caller_phone if self._shows_caller() else None


class CallWriteSerializer(serializers.Serializer):
    """What a client sends to take a call (POST) or change one (PATCH, any subset)."""

    external_id = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Your own call id (a CAD incident number). Only when creating; when left out, "
        "the call gets the next id of its day, like C-20261125-0007.",
    )
    received_at = serializers.DateTimeField(
        required=False, help_text="When the call came in; now when left out. ISO 8601."
    )
    source = serializers.ChoiceField(choices=CallSource.choices)
    call_type = serializers.CharField(max_length=120)
    priority = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=5,
        error_messages={
            "min_value": "Priority is 1 (most urgent) to 5.",
            "max_value": "Priority is 1 (most urgent) to 5.",
        },
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180
    )
    district = serializers.CharField(required=False, allow_blank=True, max_length=60)
    narrative = serializers.CharField(required=False, allow_blank=True)
    program = _ProgramField(
        required=False,
        allow_null=True,
        help_text="The program's id (e.g. “ride-along”); its active protocol triages the call.",
    )
    caller_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    caller_phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any common way of writing a number; stored as digits.",
    )

    def to_internal_value(self, data):
        # A misspelt field would otherwise be dropped silently and the call taken without it.
        problems = {}
        if isinstance(data, dict):
            known = set(self.fields)
            readable = set(CallSerializer.Meta.fields)
            problems = {
                name: [
                    "This field is read-only."
                    if name in readable
                    else f"Unknown field. Fields: {', '.join(sorted(known))}."
                ]
                for name in data
                if name not in known
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if problems and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **problems}) from None
            raise
        if problems:
            raise serializers.ValidationError(problems)
        return value

    def validate_external_id(self, value):
        value = value.strip()
        if self.instance is not None:
            raise serializers.ValidationError("A call's id cannot be changed.")
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        if Call.objects.filter(external_id=value).exists():
            raise serializers.ValidationError("A call with this id already exists.")
        return value

    def validate_received_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("A call cannot be received in the future.")
        if value.year < EARLIEST_YEAR:
            raise serializers.ValidationError(
                f"A call received before {EARLIEST_YEAR} is a typo, not a call for service."
            )
        return value

    def validate_call_type(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_caller_phone(self, value):
        problem = intake.phone_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class CallFilterSerializer(serializers.Serializer):
    """Query parameters of the call list; all optional, combined with AND."""

    source = serializers.ChoiceField(choices=CallSource.choices, required=False)
    priority = serializers.IntegerField(required=False, min_value=1, max_value=5)
    program = serializers.CharField(required=False, help_text="A program's id.")
    call_type = serializers.CharField(required=False, help_text="Contains, any case.")
    q = serializers.CharField(
        required=False, help_text="Call id, call type or address contains this, any case."
    )
    received_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    received_before = serializers.DateTimeField(required=False, help_text="Exclusive.")
    recommendation = serializers.ChoiceField(choices=Recommendation.choices, required=False)
    frequent_caller = serializers.BooleanField(allow_null=True, default=None)

    def validate(self, attrs):
        after, before = attrs.get("received_after"), attrs.get("received_before")
        if after and before and after >= before:
            raise serializers.ValidationError(
                {"received_before": ["Must be later than received_after."]}
            )
        return attrs
