from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "coresponse.insights"
    label = "insights"
