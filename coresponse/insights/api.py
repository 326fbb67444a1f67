"""The metrics API, read-only (docs/api.md): /api/v1/metrics/ and /api/v1/metrics/catalogue/.

The same engine and the same JSON as `coresponse metrics --format json`, for the programs the
caller's agencies are partners in. Supervisors, program managers and agency admins may read it;
other roles get 403.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresponse.insights import catalogue, selectors
from coresponse.insights.filters import FilterError
from coresponse.insights.metrics import cached_evaluate

_Metric = inline_serializer(
    "Metric",
    {
        "value": serializers.FloatField(allow_null=True),
        "numerator": serializers.FloatField(allow_null=True),
        "denominator": serializers.IntegerField(allow_null=True),
    },
)
_Metrics = inline_serializer(
    "Metrics",
    {
        "period": inline_serializer(
            "MetricsPeriod", {"from": serializers.DateField(), "to": serializers.DateField()}
        ),
        "metrics": serializers.DictField(
            child=_Metric,
            help_text="Every catalogue key: " + ", ".join(catalogue.KEYS),
        ),
    },
)
_Definition = inline_serializer(
    "MetricDefinition",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "unit": serializers.ChoiceField(["count", "rate", "minutes", "hours", "money"]),
        "numerator": serializers.CharField(),
        "denominator": serializers.CharField(),
    },
    many=True,
)
_Problem = inline_serializer("MetricsProblem", {"detail": serializers.CharField()})

PARAMETERS = [
    OpenApiParameter("from", str, description="First day, YYYY-MM-DD, inclusive, local time."),
    OpenApiParameter("to", str, description="Last day, YYYY-MM-DD, inclusive, local time."),
    OpenApiParameter("program", str, description="A program's id or external id."),
    OpenApiParameter("team", int, description="A team's id."),
    OpenApiParameter("agency", int, description="The agency holding the person records."),
    OpenApiParameter("source", str, description="Call source (911, 988, non_emergency, ...)."),
    OpenApiParameter("district", str, description="A district as the calls record it."),
    OpenApiParameter("race_ethnicity", str, description="A race/ethnicity code or not_recorded."),
    OpenApiParameter("sex", str, description="female, male, intersex, unknown or not_recorded."),
    OpenApiParameter("age_band", str, description="0-17, 18-24, ..., 65+ or not_recorded."),
]


def _check(user) -> None:
    if not selectors.can_view(user):
        raise PermissionDenied("Metrics are for supervisors, program managers and agency admins.")


class MetricsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Every catalogue metric for a period",
        description="Rates are fractions 0..1 and null (never 0) with an empty denominator; "
        "durations are minutes; money is in the programs' currency. Without from/to: the 90 "
        "days to the data's last day. Definitions: docs/metrics.md.",
        parameters=PARAMETERS,
        responses={
            200: _Metrics,
            400: OpenApiResponse(
                {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "example": {"from": ["'March' is not a date (YYYY-MM-DD)"]},
                },
                description="A filter is not valid: an object keyed by the parameter, each "
                "with a list of messages.",
            ),
            401: OpenApiResponse(_Problem, description="Not signed in."),
            403: OpenApiResponse(_Problem, description="Your role does not include metrics."),
        },
    )
    def get(self, request):
        _check(request.user)
        try:
            filters = selectors.user_filters(request.user, request.query_params)
        except FilterError as error:
            raise ValidationError({error.field: [error.message]}) from None
        return Response(cached_evaluate(filters).as_json())


class CatalogueView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The metrics catalogue: each key, its unit, numerator and denominator",
        responses={200: _Definition, 401: _Problem, 403: _Problem},
    )
    def get(self, request):
        _check(request.user)
        return Response(
            [
                {
                    "key": d.key,
                    "label": d.label,
                    "unit": d.unit,
                    "numerator": d.numerator,
                    "denominator": d.denominator,
                }
                for d in catalogue.CATALOGUE
            ]
        )
