from django.urls import path

from coresponse.insights import views

app_name = "transparency"
urlpatterns = [path("", views.transparency, name="page")]
