"""The data categories that drive every disclosure decision."""

from django.db import models


class DataCategory(models.TextChoices):
    IDENTITY = "identity", "Identity"
    CONTACT_PLAN = "contact_plan", "Contact plan"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_USE = "substance_use", "Substance use (42 CFR Part 2)"
    MEDICAL = "medical", "Medical"
    CRIMINAL_JUSTICE = "criminal_justice", "Criminal justice"
