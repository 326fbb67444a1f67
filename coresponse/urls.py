from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    # One way to sign in, with the lockout and the second factor: the admin's own form is not.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/password_change/", RedirectView.as_view(pattern_name="account_password")),
    path("admin/", admin.site.urls),
    # The OpenAPI document and its Swagger UI (docs/api.md); /api/v1/schema/ and /api/v1/docs/
    # redirect here.
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api_schema", template_name="web/swagger_ui.html"
        ),
        name="api_docs",
    ),
    path("api/v1/", include("coresponse.api_urls")),
    path("calls/", include("coresponse.dispatch.urls")),
    path("encounters/", include("coresponse.field.urls")),
    # The installable field app and the care pages (docs/field-app.md, docs/care.md).
    path("field/", include("coresponse.field.app_urls")),
    path("care/", include("coresponse.care.urls")),
    path("privacy/", include("coresponse.privacy.urls")),
    path("alerts/", include("coresponse.interop.urls")),
    # Metrics, dashboards, reports (docs/metrics.md); the public page needs no sign-in.
    path("insights/", include("coresponse.insights.urls")),
    path("transparency/", include("coresponse.insights.public_urls")),
    path("", include("coresponse.web.urls")),
]

handler404 = "coresponse.web.views.not_found"
