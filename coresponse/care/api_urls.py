"""The field app's records and the directory, mounted under /api/v1/ (coresponse.api_urls)."""

from django.urls import path

from coresponse.care import api

urlpatterns = [
    path("field/profile/", api.FieldProfileView.as_view(), name="field-profile"),
    path("field/records/", api.RecordListView.as_view(), name="field-records"),
    path("field/records/<str:pk>/", api.RecordDetailView.as_view(), name="field-record"),
    path("field/outreach/", api.OutreachMineView.as_view(), name="field-outreach"),
    path("care/resources/", api.ResourceListView.as_view(), name="care-resources"),
]
