from django.urls import path

from coresponse.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("<int:pk>/", views.call_detail, name="call_detail"),
]
