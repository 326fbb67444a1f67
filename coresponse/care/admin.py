from django.contrib import admin

from coresponse.care.models import (
    Enrollment,
    FollowUp,
    OutreachVisit,
    Referral,
    Reminder,
    Resource,
    SafetyPlan,
)


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["external_id", "service_type", "provider", "status", "sent_at"]
    list_filter = ["status", "service_type"]
    raw_id_fields = ["encounter", "person"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["external_id", "due_at", "completed_at", "outcome"]
    list_filter = ["outcome"]
    raw_id_fields = ["encounter", "person"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["external_id", "provider", "service_type", "start_date", "end_date"]
    raw_id_fields = ["person"]


@admin.register(SafetyPlan)
class SafetyPlanAdmin(admin.ModelAdmin):
    list_display = ["person", "share_with_responders", "created_at"]
    raw_id_fields = ["person", "encounter"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "service_type", "hours", "capacity", "available_today", "active"]
    list_filter = ["service_type", "active", "provider_agency"]
    search_fields = ["name", "external_id"]


@admin.register(OutreachVisit)
class OutreachVisitAdmin(admin.ModelAdmin):
    list_display = ["scheduled_for", "program", "status", "assigned_to"]
    list_filter = ["status", "program"]
    raw_id_fields = ["person", "encounter", "assigned_to", "created_by"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "due_at", "created_at", "dismissed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "followup", "referral"]
