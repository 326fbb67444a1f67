from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "coresponse.interop"
    label = "interop"
