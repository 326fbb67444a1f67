from django.urls import path

from coresponse.field import views

app_name = "field"
urlpatterns = [
    path("", views.encounter_list, name="encounter_list"),
    path("<int:pk>/", views.encounter_detail, name="encounter_detail"),
]
