from django.contrib.auth import views as auth_views
from django.urls import path

from coresponse.web import people_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("people/", people_views.person_list, name="person_list"),
    path("people/<int:pk>/", people_views.person_detail, name="person_detail"),
]
