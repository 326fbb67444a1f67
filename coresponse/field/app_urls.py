"""The installable field app, mounted at /field/ (docs/field-app.md)."""

from django.urls import path

from coresponse.field import app_views

app_name = "field_app"
urlpatterns = [
    path("", app_views.app, name="app"),
    path("sw.js", app_views.service_worker, name="sw"),
    path("manifest.webmanifest", app_views.manifest, name="manifest"),
    path("conflicts/", app_views.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/", app_views.reconcile, name="reconcile"),
]
