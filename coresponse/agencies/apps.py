from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "coresponse.agencies"
    label = "agencies"
