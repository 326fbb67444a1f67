from django.contrib import admin

from coresponse.operations import models

for model in (
    models.TrainingRecord,
    models.FundingSource,
    models.Budget,
    models.Expenditure,
    models.GrantApplication,
    models.CostModel,
    models.Stakeholder,
    models.Meeting,
    models.Debrief,
    models.Story,
):
    admin.site.register(model)
