from django.contrib import admin

from coresponse.field.models import Encounter


@admin.register(Encounter)
class EncounterAdmin(admin.ModelAdmin):
    """Notes are left out on purpose: they are read through the disclosure policy only."""

    list_display = ["external_id", "kind", "program", "on_scene_at", "disposition", "arrest"]
    list_filter = ["kind", "program", "disposition", "arrest", "er_transport"]
    search_fields = ["external_id"]
    raw_id_fields = ["call", "person"]
    date_hierarchy = "on_scene_at"
