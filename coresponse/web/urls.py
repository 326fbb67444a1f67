from django.urls import path

from coresponse.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
