from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "coresponse.people"
    label = "people"
