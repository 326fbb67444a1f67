from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coresponse.agencies import services
from coresponse.agencies.models import (
    Agency,
    ApiToken,
    Membership,
    MfaRequirement,
    Passkey,
    Program,
    Shift,
    SignInThrottle,
    Team,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class CoresponseUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [*UserAdmin.list_display, "is_active", "sign_in_locked"]
    actions = ["unlock_sign_in", "reset_second_factors", "revoke_api_tokens"]

    @admin.display(description="sign-in locked until")
    def sign_in_locked(self, user):
        until = services.locked_until(user.username)
        return timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "—"

    @admin.action(description="Unlock sign-in (after failed attempts)")
    def unlock_sign_in(self, request, queryset):
        count = sum(services.unlock(user, actor=request.user) for user in queryset)
        self.message_user(request, f"{count} account(s) unlocked.", messages.SUCCESS)

    @admin.action(description="Remove every second factor (lost phone or key)")
    def reset_second_factors(self, request, queryset):
        for user in queryset:
            services.reset_second_factors(user, actor=request.user)
        self.message_user(
            request,
            f"Second factors removed for {queryset.count()} account(s); a role that requires "
            "one has them enrol again at their next sign-in.",
            messages.SUCCESS,
        )

    @admin.action(description="Revoke every API token")
    def revoke_api_tokens(self, request, queryset):
        count = sum(services.revoke_all_tokens(user, actor=request.user) for user in queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(MfaRequirement)
class MfaRequirementAdmin(admin.ModelAdmin):
    list_display = ["agency", "role", "created_at"]
    list_filter = ["role", "agency"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `coresponse token`; here they are seen and revoked, never made."""

    list_display = ["prefix", "user", "label", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "prefix", "label"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = sum(services.revoke_token(token, actor=request.user) for token in queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "failures", "last_failure_at", "locked_until"]
    readonly_fields = ["user", "failures", "last_failure_at", "locked_until"]
    exclude = ["digest"]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # unlocking is the audited action below

    @admin.action(description="Unlock (clear the failed attempts)")
    def unlock(self, request, queryset):
        for throttle in queryset.select_related("user"):
            if throttle.user is not None:
                services.unlock(throttle.user, actor=request.user)
            else:
                throttle.delete()  # a name no account has: nothing to audit
        self.message_user(request, "Unlocked.", messages.SUCCESS)


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at", "last_used_at"]
    search_fields = ["user__username", "name"]
    readonly_fields = ["user", "credential_id", "sign_count", "aaguid", "transports", "backed_up"]
    exclude = ["public_key"]

    def has_add_permission(self, request):
        return False


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


# django-otp's own admin pages show authenticator keys and backup codes to whoever may open
# them: an administrator removes a user's factors (action above) but never reads them.
for device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device):
        admin.site.unregister(device)
