from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from coresponse.agencies.models import Agency, Membership, Program, Shift, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class CoresponseUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "external_id"]
    list_filter = ["kind"]
    search_fields = ["name", "external_id"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "model", "focus_population"]
    list_filter = ["model"]
    filter_horizontal = ["agencies"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "kind"]
    list_filter = ["program", "kind"]
    filter_horizontal = ["members"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["team", "mode", "starts_at", "ends_at"]
    list_filter = ["mode", "team"]
    date_hierarchy = "starts_at"
