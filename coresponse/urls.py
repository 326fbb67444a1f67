from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("coresponse.api_urls")),
    path("calls/", include("coresponse.dispatch.urls")),
    path("encounters/", include("coresponse.field.urls")),
    path("", include("coresponse.web.urls")),
]
