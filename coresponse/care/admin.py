from django.contrib import admin

from coresponse.care.models import Enrollment, FollowUp, Referral, Resource, SafetyPlan


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
    list_display = ["name", "service_type", "hours", "capacity", "phone"]
    list_filter = ["service_type"]
    search_fields = ["name"]
