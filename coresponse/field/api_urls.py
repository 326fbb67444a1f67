"""The field app's API of the team's call, mounted under /api/v1/ (coresponse.api_urls)."""

from django.urls import path

from coresponse.field import api

urlpatterns = [
    path("field/work/", api.FieldWorkView.as_view(), name="field-work"),
    path(
        "field/assignments/<str:pk>/status/",
        api.AssignmentStatusView.as_view(),
        name="field-status",
    ),
]
