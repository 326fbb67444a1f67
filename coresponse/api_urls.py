"""The REST API, mounted at /api/v1/ (docs/api.md): the calls, the OpenAPI document, its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from coresponse.dispatch.api import CallViewSet
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
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the drf-spectacular-sidecar package's own static files: no CDN.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
