from django.contrib import admin

from coresponse.dispatch.models import Assignment, Call


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["external_id", "received_at", "source", "call_type", "priority", "program"]
    list_filter = ["source", "priority", "program"]
    search_fields = ["external_id", "call_type", "address"]
    date_hierarchy = "received_at"
    inlines = [AssignmentInline]
