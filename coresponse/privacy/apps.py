from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "coresponse.privacy"
    label = "privacy"
