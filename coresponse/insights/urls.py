from django.urls import path

from coresponse.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("groups/", views.dashboard_groups, name="groups"),
    path("encounters/<slug:key>/", views.drilldown, name="drilldown"),
    path("evaluation/", views.evaluation_pack, name="evaluation"),
    path("report.<str:fmt>", views.report, name="report"),
    path("refresh/", views.refresh, name="refresh"),
]
