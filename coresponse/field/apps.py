from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "coresponse.field"
    label = "field"
