"""The REST API, mounted at /api/v1/ (docs/api.md)."""

from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import SimpleRouter

from coresponse.dispatch.api import CallViewSet
from coresponse.insights.api import CatalogueView, MetricsView
from coresponse.interop.api import AlertLookupView

router = SimpleRouter(use_regex_path=False)
router.register("calls", CallViewSet, basename="call")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("alerts/lookup", AlertLookupView.as_view(), name="alert_lookup"),
    # The field app (docs/field-app.md): the team's call, and records with their care.
    path("", include("coresponse.field.api_urls")),
    path("", include("coresponse.care.api_urls")),
    # Metrics (docs/metrics.md): the engine's JSON, read-only.
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("metrics/catalogue/", CatalogueView.as_view(), name="metrics_catalogue"),
    # The OpenAPI document and Swagger UI live at /api/schema/ and /api/docs/ (coresponse/urls.py).
    path("schema/", RedirectView.as_view(pattern_name="api_schema", permanent=True), name="schema"),
    path("docs/", RedirectView.as_view(pattern_name="api_docs", permanent=True), name="docs"),
]
