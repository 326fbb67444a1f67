from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
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
