from django.urls import path

from coresponse.interop import views

app_name = "interop"

urlpatterns = [
    path("call/<int:call_id>/", views.alert_panel, name="alert_panel"),
]
