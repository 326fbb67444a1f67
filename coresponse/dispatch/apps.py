from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "coresponse.dispatch"
    label = "dispatch"
