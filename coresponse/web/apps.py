from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coresponse.web"
    label = "web"
