from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "coresponse.agencies"
    label = "agencies"

    def ready(self):
        # drf-spectacular learns the bearer scheme when the module defining it is imported.
        from coresponse.agencies import api_auth  # noqa: F401
