from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "coresponse.care"
    label = "care"
