from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "coresponse.operations"
    label = "operations"
